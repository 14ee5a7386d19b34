// Host name resolution for the probes: getaddrinfo on a small, lazily grown thread pool.
#include "checks/internal/host_lookup.hh"

#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

namespace muster::checks::internal {

struct HostLookup::Job {
    std::mutex mu;
    EventLoop* loop = nullptr;  // null once the lookup was cancelled or delivered
    Callback callback;
    std::string host;
    uint16_t port = 0;
    std::optional<Result<std::vector<SockAddr>>> result;

    bool cancelled() {
        std::lock_guard lock(mu);
        return loop == nullptr;
    }

    // Any thread. Posting under the lock is what keeps the loop alive meanwhile: the owner
    // destroys the HostLookup (which takes the lock) before it destroys the loop.
    static void deliver(const std::shared_ptr<Job>& job, Result<std::vector<SockAddr>> result) {
        std::lock_guard lock(job->mu);
        if (job->loop == nullptr)
            return;
        job->result = std::move(result);
        job->loop->post([job] { job->run_callback(); });
    }

    // The loop's thread.
    void run_callback() {
        Callback cb;
        std::optional<Result<std::vector<SockAddr>>> r;
        {
            std::lock_guard lock(mu);
            if (loop == nullptr)
                return;
            loop = nullptr;
            cb = std::move(callback);
            r = std::move(result);
        }
        cb(std::move(*r));  // last: the owner may destroy the HostLookup in here
    }
};

namespace {

// A few threads are enough: a lookup is usually answered from /etc/hosts or a cache, and each
// probe's own timeout bounds how long a slow one can matter.
constexpr int max_threads = 8;
constexpr auto idle_exit = std::chrono::seconds(10);

Result<std::vector<SockAddr>> resolve(const std::string& host, uint16_t port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc != 0) {
        const char* why = rc == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(rc);
        return make_error("lookup " + host + ": " + why);
    }
    std::vector<SockAddr> out;
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        SockAddr addr(ai->ai_addr, ai->ai_addrlen);
        addr.set_port(port);
        bool seen = false;
        for (const auto& a : out)
            seen = seen || a == addr;
        if (!seen)
            out.push_back(addr);
    }
    freeaddrinfo(found);
    if (out.empty())
        return make_error("lookup " + host + ": no IPv4 or IPv6 address");
    return out;
}

class LookupPool {
  public:
    // Never destroyed: its detached threads may outlive every static destructor.
    static LookupPool& instance() {
        static auto* pool = new LookupPool;
        return *pool;
    }

    void submit(const std::shared_ptr<HostLookup::Job>& job) {
        std::unique_lock lock(mu_);
        queue_.push_back(job);
        if (static_cast<size_t>(idle_) >= queue_.size() || threads_ >= max_threads) {
            cv_.notify_one();
            return;
        }
        ++threads_;
        try {
            std::thread([this] { work(); }).detach();
        } catch (const std::system_error& e) {
            --threads_;
            if (threads_ > 0) {
                cv_.notify_one();
                return;
            }
            queue_.pop_back();
            lock.unlock();
            HostLookup::Job::deliver(job, make_error(std::string("cannot resolve: ") + e.what()));
        }
    }

  private:
    void work() {
        std::unique_lock lock(mu_);
        while (true) {
            if (queue_.empty()) {
                ++idle_;
                bool woken = cv_.wait_for(lock, idle_exit, [this] { return !queue_.empty(); });
                --idle_;
                if (!woken) {
                    --threads_;
                    return;
                }
            }
            auto job = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            if (!job->cancelled())
                HostLookup::Job::deliver(job, resolve(job->host, job->port));
            job.reset();
            lock.lock();
        }
    }

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::shared_ptr<HostLookup::Job>> queue_;
    int threads_ = 0;
    int idle_ = 0;
};

}  // namespace

std::unique_ptr<HostLookup> HostLookup::start(EventLoop& loop, const std::string& host,
                                              uint16_t port, Callback callback) {
    auto job = std::make_shared<Job>();
    job->loop = &loop;
    job->callback = std::move(callback);
    job->host = host;
    job->port = port;
    std::unique_ptr<HostLookup> lookup(new HostLookup(job));
    if (auto literal = SockAddr::parse_ip(host, port))
        Job::deliver(job, std::vector<SockAddr>{*literal});
    else
        LookupPool::instance().submit(job);
    return lookup;
}

HostLookup::~HostLookup() {
    Callback dropped;
    std::lock_guard lock(job_->mu);
    job_->loop = nullptr;
    dropped = std::move(job_->callback);
}

}  // namespace muster::checks::internal
