// load(): reads --config-file and --config-dir sources (JSON or HCL), then hands them to the
// loader.
#include "config/config.hh"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/fd.hh"
#include "config/internal/loader.hh"

namespace muster::config {
namespace {

std::string cannot_read(const std::string& path, int err) {
    return path + ": cannot read: " + std::strerror(err);
}

// Whole file, or the "cannot read" error line.
Result<std::string> read_file(const std::string& path) {
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return make_error(cannot_read(path, errno));
    std::string text;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return make_error(cannot_read(path, errno));
        if (n == 0)
            break;
        text.append(buf, static_cast<size_t>(n));
    }
    return text;
}

struct DirFiles {
    std::vector<std::string> configs;  // *.json and *.hcl, in lexical (byte) order
    std::vector<std::string> skipped;  // other files, for a warning each
};

// Every *.json and *.hcl regular file (or link to one) in dir; hidden files and directories are
// passed over silently, other files with a warning, as Consul does since 1.0.
Result<DirFiles> config_files(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr)
        return make_error(cannot_read(dir, errno));
    const std::string prefix = dir.ends_with('/') ? dir : dir + "/";
    DirFiles files;
    while (dirent* e = ::readdir(d)) {
        std::string_view name = e->d_name;
        if (name.empty() || name.front() == '.')
            continue;
        std::string path = prefix + std::string(name);
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            continue;
        const bool config = (name.size() > 5 && name.ends_with(".json")) ||
                            (name.size() > 4 && name.ends_with(".hcl"));
        (config ? files.configs : files.skipped).push_back(std::move(path));
    }
    ::closedir(d);
    std::sort(files.configs.begin(), files.configs.end());
    std::sort(files.skipped.begin(), files.skipped.end());
    return files;
}

void add_source(const std::string& path, std::vector<internal::Source>& sources,
                std::vector<std::string>& errors) {
    auto text = read_file(path);
    if (!text) {
        errors.push_back(text.error().message);
        return;
    }
    sources.push_back({.name = path, .text = std::move(*text)});
}

}  // namespace

Result<Settings> load(const LoadRequest& req) {
    try {
        std::vector<internal::Source> sources;
        std::vector<std::string> errors;
        std::vector<std::string> skipped;
        for (const auto& f : req.files)
            add_source(f, sources, errors);
        for (const auto& dir : req.dirs) {
            auto files = config_files(dir);
            if (!files) {
                errors.push_back(files.error().message);
                continue;
            }
            for (const auto& f : files->configs)
                add_source(f, sources, errors);
            for (auto& f : files->skipped)
                skipped.push_back(f + ": skipped: not a .json or .hcl file");
        }
        auto settings = internal::load_sources(sources, req, std::move(errors));
        if (settings)
            settings->warnings.insert(settings->warnings.begin(), skipped.begin(), skipped.end());
        return settings;
    } catch (const std::exception& e) {
        // Only allocation failure can get here; the API throws nothing.
        return make_error(std::string("configuration: ") + e.what());
    }
}

}  // namespace muster::config
