// RAII over libevent: one EventLoop per thread, fd watchers, timers, cross-thread posts.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "common/clock.hh"

struct event_base;
struct event;

namespace muster {

class EventLoop {
  public:
    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Runs until stop() (or nothing is left to wait for).
    void run();
    // Safe from any thread: the loop returns after the callbacks already due. A stop() made
    // before run() has begun (a thread not yet in its loop) ends that run at once.
    void stop();
    // Safe from any thread: fn runs on the loop's thread soon.
    void post(std::function<void()> fn);

    // For the other wrappers in common/ only.
    event_base* raw() const { return base_; }

  private:
    static void on_posted(int, short, void* arg);
    static void on_stop(int, short, void* arg);
    event_base* base_ = nullptr;
    event* post_ev_ = nullptr;
    event* stop_ev_ = nullptr;
    std::atomic<bool> stop_requested_{false};
    std::mutex post_mu_;
    std::vector<std::function<void()>> posted_;
};

enum class IoWhat { read = 1, write = 2, read_write = 3 };

// A persistent watcher on a file descriptor; the callback gets the events that fired.
class IoWatcher {
  public:
    using Callback = std::function<void(IoWhat)>;
    IoWatcher(EventLoop& loop, int fd, IoWhat what, Callback cb);
    ~IoWatcher();
    IoWatcher(const IoWatcher&) = delete;
    IoWatcher& operator=(const IoWatcher&) = delete;
    void enable();
    void disable();
    // Points a disabled watcher at another descriptor (same events and callback), so one
    // watcher can serve a series of short-lived sockets without a new one for each.
    void set_fd(int fd);

  private:
    static void dispatch(int, short what, void* arg);
    event* ev_ = nullptr;
    Callback cb_;
};

// A one-shot timer that can be re-armed.
class Timer {
  public:
    Timer(EventLoop& loop, std::function<void()> cb);
    ~Timer();
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    void arm(Duration after);
    void cancel();
    bool armed() const;

  private:
    static void dispatch(int, short, void* arg);
    event* ev_ = nullptr;
    std::function<void()> cb_;
};

// A signal watcher (runs on the loop, so the callback may do anything).
class SignalWatcher {
  public:
    SignalWatcher(EventLoop& loop, int signo, std::function<void()> cb);
    ~SignalWatcher();
    SignalWatcher(const SignalWatcher&) = delete;
    SignalWatcher& operator=(const SignalWatcher&) = delete;

  private:
    static void dispatch(int, short, void* arg);
    event* ev_ = nullptr;
    std::function<void()> cb_;
};

}  // namespace muster
