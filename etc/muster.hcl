# Sample muster configuration in HCL: a useful subset of etc/muster.json (which shows every
# option); see muster.json(5). Every *.hcl and *.json file of --config-dir is read, in lexical
# order, and both give the same keys. Comments: #, // and /* */.
# Install as /etc/muster.d/muster.hcl and start with: muster agent --config-dir /etc/muster.d

node_name  = "web-1"      # default: the short host name
datacenter = "dc1"
domain     = "internal."
data_dir   = "/var/lib/muster"
log_level  = "info"       # trace | debug | info | warn | error

client_addr = "127.0.0.1"
bind_addr   = "0.0.0.0"

ports {
  dns    = 8600           # 53 to serve /etc/resolv.conf directly
  http   = 8500
  server = 8300
}

# A server of a cluster of one; a client agent sets server = false and retry_join.
server    = true
bootstrap = true

# The web UI at http://127.0.0.1:8500/ui/ (default: off, on with --dev).
ui_config {
  enabled = true
}

# Upstreams, in order: tls://IP[:853]#auth-name, tcp://IP[:53], udp://IP[:53], IP[:53].
recursors = [
  "tls://1.1.1.1#cloudflare-dns.com",
  "tls://9.9.9.9#dns.quad9.net",
]

dns_config {
  allow_recursion  = ["127.0.0.0/8", "::1/128"]
  # DNS listeners with their own policy (replace addresses.dns; port defaults to ports.dns).
  # recursion = false answers only names muster owns and REFUSED for the rest: the port other
  # DNS servers forward the domain to.
  # listeners = [
  #   { address = "127.0.0.1", port = 53, recursion = true },
  #   { address = "10.0.0.5", port = 8600, recursion = false },
  # ]
  recursor_timeout = "2s"   # durations are strings: "500ms", "1m30s"
  forward_zones = {
    "corp.example." = ["10.0.0.53", "tls://10.0.0.54#ns.corp.example"]
  }
  cache {
    size      = 10000
    max_ttl   = "86400s"
    prefetch  = true
  }
  service_ttl = {
    "*" = "5s"
    web = "30s"
  }
}

# Local records: each block is one entry of the records list.
records {
  name  = "db.example."
  type  = "A"
  value = "192.0.2.10"
  ttl   = 300
}
records {
  name  = "example."
  type  = "TXT"
  value = "\"v=spf1 -all\""
}

# Consul service definitions, unchanged from Consul's HCL files. `service` may be repeated;
# each `services` block (and each `checks` block inside one) is one entry of its list.
service {
  id   = "web-1"
  name = "web"
  tags = ["primary", "v2"]
  port = 8080
  meta = {
    version = "2.4.1"
  }
  check {
    http     = "http://127.0.0.1:8080/health"
    interval = "10s"
    timeout  = "2s"
  }
}

services {
  name = "redis"
  port = 6379
  tags = ["cache"]
  checks {
    tcp      = "127.0.0.1:6379"
    interval = "10s"
  }
}

checks {
  id   = "backup"
  name = "nightly backup"
  ttl  = "26h"
  notes = <<-EOT
    Kept passing by the backup job (PUT /v1/agent/check/pass/backup);
    critical when not refreshed for 26 hours.
    EOT
}
