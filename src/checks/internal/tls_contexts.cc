// A process-wide cache of TLS client contexts keyed by their options.
#include "checks/internal/tls_contexts.hh"

#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace muster::checks::internal {

Result<std::shared_ptr<TlsClientContext>> shared_tls_context(const TlsClientOptions& options) {
    static std::mutex mu;
    static std::map<std::pair<std::string, TlsVerify>, std::weak_ptr<TlsClientContext>> cache;
    // Without verification no trust store is loaded, so the CA file does not matter.
    std::pair key{options.verify == TlsVerify::none ? std::string() : options.ca_file,
                  options.verify};
    std::lock_guard lock(mu);
    if (auto found = cache[key].lock())
        return found;
    auto created = TlsClientContext::create(options);
    if (!created)
        return created.error();
    std::shared_ptr<TlsClientContext> shared = std::move(*created);
    cache[key] = shared;
    return shared;
}

}  // namespace muster::checks::internal
