// Daemon: the composition root. Loads config, builds every module from it, runs until a
// signal says stop, reloads on SIGHUP.
#pragma once

#include <memory>

#include "api/options.hh"
#include "catalog/store.hh"
#include "config/config.hh"
#include "resolver/options.hh"

namespace muster::app {

// Maps loaded settings onto the resolver's options (recursor URIs → upstream specs, ...).
resolver::Options resolver_options(const config::Settings& s);
resolver::Zones resolver_zones(const config::Settings& s);
resolver::CatalogOptions catalog_options(const config::Settings& s,
                                         std::shared_ptr<const catalog::DnsSource> source);
api::Options api_options(const config::Settings& s);

// Runs the agent until SIGTERM/SIGINT; returns the process exit status.
int run_agent(const config::LoadRequest& request);

}  // namespace muster::app
