records {
  name = "gw.internal."
  type = "A"
  value = "10.0.0.1"
}
records { name = "t.internal.", type = "TXT", value = "\"hi\"", ttl = 60 }
