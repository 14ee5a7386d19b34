a = 1
b = "${var.x}"
c = <<EOF
${y}
EOF
