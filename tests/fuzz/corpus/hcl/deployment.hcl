datacenter = "dc1"
data_dir = "/opt/consul"
encrypt = "qDOPBEr+/oUVeOFQOnVypxwDaHzLrD+lvjo5vCEBbZ0="
tls {
   defaults {
      ca_file = "/etc/consul.d/consul-agent-ca.pem"
      verify_incoming = true
   }
   internal_rpc {
      verify_server_hostname = true
   }
}
retry_join = ["172.16.0.11"]
