// LocalWriter: catalog writes applied straight to the local store.
#include "api/writer.hh"

namespace muster::api {

void LocalWriter::submit(std::vector<catalog::Command> batch,
                         std::function<void(Result<uint64_t>)> done) {
    done(store_.apply(batch));
}

}  // namespace muster::api
