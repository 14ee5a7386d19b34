# /etc/muster.d/muster.hcl: the configuration the muster package installs; see muster.json(5)
# for every option, /usr/share/doc/muster/examples/ for a fuller sample. Every *.hcl and *.json
# file in /etc/muster.d is read, in lexical order; check them with `muster validate
# /etc/muster.d` and apply with `systemctl reload muster` (or restart, for ports and addresses).
#
# As installed: a server of a cluster of one that keeps its catalog in /var/lib/muster, answers
# DNS on 127.0.0.1:8600 (the catalog under "internal."; other names forwarded to the resolvers
# of /etc/resolv.conf) and serves the Consul-compatible HTTP API on 127.0.0.1:8500. Nothing
# listens on other addresses until you say so below.

data_dir  = "/var/lib/muster"   # the unit's StateDirectory=, owned by the user muster
log_level = "info"              # trace | debug | info | warn | error
# node_name  = "web-1"          # default: the short host name
# datacenter = "dc1"
# domain     = "internal."

# Addresses: client_addr serves DNS and HTTP, bind_addr the cluster (port 8300).
client_addr = "127.0.0.1"
bind_addr   = "127.0.0.1"

ports {
  dns    = 8600                 # 53 to serve /etc/resolv.conf directly
  http   = 8500
  server = 8300
}

# A server of a cluster of one. Three or five servers: bootstrap_expect = 3 and retry_join
# with the others' addresses on each. A client agent: server = false and retry_join.
server    = true
bootstrap = true
# retry_join = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]

# The web UI at http://127.0.0.1:8500/ui/ (off unless enabled; it shows what the HTTP API shows).
# ui_config {
#   enabled = true
# }

# The cluster key (muster keygen): the unit hands /etc/muster.d/encrypt.key to the agent as
# the credential "encrypt"; the package creates that file empty (no key), readable by root only.

# Upstreams, in order: tls://IP[:853]#auth-name, tcp://IP[:53], udp://IP[:53], IP[:53].
# None given: the name servers of /etc/resolv.conf.
# recursors = [
#   "tls://1.1.1.1#cloudflare-dns.com",
#   "tls://9.9.9.9#dns.quad9.net",
# ]

# dns_config {
#   allow_recursion = ["127.0.0.0/8", "::1/128"]
#   forward_zones = {
#     "corp.example." = ["10.0.0.53"]
#   }
# }

# Services of this host, as in Consul's HCL files; also `muster services register FILE`.
# service {
#   name = "web"
#   port = 8080
#   check {
#     http     = "http://127.0.0.1:8080/health"
#     interval = "10s"
#   }
# }
