zone "a" { x = 1 }
zone "b" { x = 2 }
outer "p" "q" { y = true }
