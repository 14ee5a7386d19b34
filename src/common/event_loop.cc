// RAII over libevent.
#include "common/event_loop.hh"

#include <event2/event.h>
#include <event2/thread.h>

#include <chrono>

#include "common/result.hh"

namespace muster {
namespace {
timeval to_timeval(Duration d) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    if (us < 0)
        us = 0;
    return timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
}
}  // namespace

EventLoop::EventLoop() {
    static std::once_flag once;
    std::call_once(once, [] { evthread_use_pthreads(); });
    // The epoll changelist folds the add/delete pairs a bufferevent makes within one loop round
    // (read off while a request is handled, write on until the reply is out) into at most one
    // epoll_ctl per fd and round. Its one caveat, fds shared through dup(), does not apply: no
    // loop watches a dup'd fd.
    event_config* cfg = event_config_new();
    if (cfg == nullptr)
        MUSTER_PANIC("event_config_new failed");
    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    base_ = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (base_ == nullptr)
        MUSTER_PANIC("event_base_new failed");
    post_ev_ = event_new(base_, -1, EV_PERSIST, &EventLoop::on_posted, this);
    // A persistent event with no fd and no timeout stays pending, so run() does not return
    // while the loop is idle; stop() ends it.
    timeval far{365L * 24 * 3600, 0};
    event_add(post_ev_, &far);
    stop_ev_ = event_new(base_, -1, 0, &EventLoop::on_stop, this);
}

EventLoop::~EventLoop() {
    event_free(stop_ev_);
    event_free(post_ev_);
    event_base_free(base_);
}

void EventLoop::run() {
    event_base_dispatch(base_);
}
// Not event_base_loopbreak() alone: event_base_loop() clears the break flag when it begins, so
// a stop() from another thread just before the loop's thread got there was lost and join()
// waited forever. An activated event stays queued until the loop runs it.
void EventLoop::stop() {
    stop_requested_.store(true);
    event_active(stop_ev_, EV_TIMEOUT, 0);
}

void EventLoop::on_stop(int, short, void* arg) {
    auto* self = static_cast<EventLoop*>(arg);
    if (self->stop_requested_.exchange(false))
        event_base_loopbreak(self->base_);
}

void EventLoop::post(std::function<void()> fn) {
    bool first = false;
    {
        std::lock_guard lock(post_mu_);
        first = posted_.empty();
        posted_.push_back(std::move(fn));
    }
    // Only the first of a burst activates: later ones find it pending (or on_posted not yet
    // swapped), so a burst of posts costs the loop one wakeup.
    if (first)
        event_active(post_ev_, EV_TIMEOUT, 0);
}

void EventLoop::on_posted(int, short, void* arg) {
    auto* self = static_cast<EventLoop*>(arg);
    std::vector<std::function<void()>> fns;
    {
        std::lock_guard lock(self->post_mu_);
        fns.swap(self->posted_);
    }
    for (auto& fn : fns)
        fn();
}

IoWatcher::IoWatcher(EventLoop& loop, int fd, IoWhat what, Callback cb) : cb_(std::move(cb)) {
    short events = EV_PERSIST;
    if (static_cast<int>(what) & 1)
        events |= EV_READ;
    if (static_cast<int>(what) & 2)
        events |= EV_WRITE;
    ev_ = event_new(loop.raw(), fd, events, &IoWatcher::dispatch, this);
}
IoWatcher::~IoWatcher() {
    event_free(ev_);
}
void IoWatcher::enable() {
    event_add(ev_, nullptr);
}
void IoWatcher::disable() {
    event_del(ev_);
}
void IoWatcher::set_fd(int fd) {
    event_del(ev_);
    (void)event_assign(ev_, event_get_base(ev_), fd, event_get_events(ev_), &IoWatcher::dispatch,
                       this);
}
void IoWatcher::dispatch(int, short what, void* arg) {
    int w = ((what & EV_READ) ? 1 : 0) | ((what & EV_WRITE) ? 2 : 0);
    static_cast<IoWatcher*>(arg)->cb_(static_cast<IoWhat>(w));
}

Timer::Timer(EventLoop& loop, std::function<void()> cb) : cb_(std::move(cb)) {
    ev_ = evtimer_new(loop.raw(), &Timer::dispatch, this);
}
Timer::~Timer() {
    event_free(ev_);
}
void Timer::arm(Duration after) {
    timeval tv = to_timeval(after);
    evtimer_add(ev_, &tv);
}
void Timer::cancel() {
    evtimer_del(ev_);
}
bool Timer::armed() const {
    return evtimer_pending(ev_, nullptr) != 0;
}
void Timer::dispatch(int, short, void* arg) {
    static_cast<Timer*>(arg)->cb_();
}

SignalWatcher::SignalWatcher(EventLoop& loop, int signo, std::function<void()> cb)
    : cb_(std::move(cb)) {
    ev_ = evsignal_new(loop.raw(), signo, &SignalWatcher::dispatch, this);
    evsignal_add(ev_, nullptr);
}
SignalWatcher::~SignalWatcher() {
    event_free(ev_);
}
void SignalWatcher::dispatch(int, short, void* arg) {
    static_cast<SignalWatcher*>(arg)->cb_();
}

}  // namespace muster
