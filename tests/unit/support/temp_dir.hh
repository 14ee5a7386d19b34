// TempDir: a fresh directory under $TMPDIR for one test, removed with everything in it.
#pragma once

#include <stdlib.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace muster::test {

class TempDir {
  public:
    explicit TempDir(std::string_view prefix = "muster-test") {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
        if (::mkdtemp(tmpl.data()) == nullptr)
            BOOST_FAIL("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;  // a destructor must not throw; a leftover directory is harmless
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // The path of `name` inside the directory.
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    // Writes `text` to `name` (creating its parent directories) and returns its path.
    std::string write(const std::string& name, const std::string& text) const {
        std::filesystem::path p = path_ / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p.string();
    }

  private:
    std::filesystem::path path_;
};

}  // namespace muster::test
