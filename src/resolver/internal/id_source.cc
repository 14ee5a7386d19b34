// IdSource: batches of kernel randomness for DNS message IDs.
#include "resolver/internal/id_source.hh"

#include <sys/random.h>

#include <cerrno>

#include "common/result.hh"

namespace muster::resolver::internal {

uint16_t IdSource::next() {
    if (pos_ + 2 > sizeof buf_)
        refill();
    auto id = static_cast<uint16_t>(buf_[pos_] << 8 | buf_[pos_ + 1]);
    pos_ += 2;
    return id;
}

void IdSource::refill() {
    size_t got = 0;
    while (got < sizeof buf_) {
        ssize_t n = getrandom(buf_ + got, sizeof buf_ - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        // getrandom only fails on a kernel without it or a bad buffer; guessable IDs are
        // worse than stopping.
        if (n <= 0)
            MUSTER_PANIC("getrandom failed");
        got += static_cast<size_t>(n);
    }
    pos_ = 0;
}

}  // namespace muster::resolver::internal
