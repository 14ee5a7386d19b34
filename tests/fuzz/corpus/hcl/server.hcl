node_name = "consul-server"
server    = true
bootstrap = true
datacenter = "dc1"
log_level  = "INFO"
addresses {
  http = "127.0.0.1"
}
encrypt = "aPuGh+5UDskRAbkLaXRzFoSOcSM+5vAK+NEYOWHJH7w="
dns_config {
  service_ttl = { "*" = "5s" }
  cache { max_ttl = "1h" }
}
recursors = ["tls://1.1.1.1:853#cloudflare-dns.com", "10.0.0.3"]
