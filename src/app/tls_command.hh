// `muster tls ca create` and `muster tls cert create`: a private CA and agent certificates in
// the files and names Consul's `consul tls` uses.
#pragma once

namespace muster::app {

// argv[0] is "tls". Exit status 0, 1 when something could not be made or written, 2 on bad usage.
int tls_command(int argc, char** argv);

}  // namespace muster::app
