// Result<T>: an std::expected-shaped value-or-error for expected failures.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace muster {

// An expected failure: I/O, parse, timeout, not-found. The message is for humans.
struct Error {
    std::string message;
};

// Broken invariant: never serve corrupt state (docs/style.md "Errors and logging").
[[noreturn]] inline void panic(const char* file, int line, const std::string& what) {
    std::fprintf(stderr, "muster: PANIC at %s:%d: %s\n", file, line, what.c_str());
    std::abort();
}
#define MUSTER_PANIC(what) ::muster::panic(__FILE__, __LINE__, (what))

template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return check(), std::get<0>(v_); }
    const T& value() const& { return check(), std::get<0>(v_); }
    T&& value() && { return check(), std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const {
        if (ok())
            MUSTER_PANIC("Result::error() on a value");
        return std::get<1>(v_);
    }

  private:
    void check() const {
        if (!ok())
            MUSTER_PANIC("Result::value() on an error: " + std::get<1>(v_).message);
    }
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const {
        if (ok_)
            MUSTER_PANIC("Result::error() on success");
        return error_;
    }

  private:
    Error error_;
    bool ok_ = true;
};

inline Error make_error(std::string message) {
    return Error{std::move(message)};
}

}  // namespace muster
