// The TLS client contexts of the https and tcp+tls probes, shared by every probe with the same
// trust settings: loading a trust store takes milliseconds, and an agent may run thousands of
// TLS checks.
#pragma once

#include <memory>

#include "common/result.hh"
#include "common/tls.hh"

namespace muster::checks::internal {

// The context for these options, made on first use and kept while any probe holds it. Safe
// from any thread (OpenSSL allows one SSL_CTX to start connections on several threads).
Result<std::shared_ptr<TlsClientContext>> shared_tls_context(const TlsClientOptions& options);

}  // namespace muster::checks::internal
