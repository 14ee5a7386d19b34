// gen-man-options TEMPLATE OUT: writes the man page TEMPLATE to OUT with its @OPTIONS@ line
// replaced by one entry per key of the option table, and its @CONSUL_KEYS@ line by one entry
// per recognized Consul key, so muster.json(5) documents every key exactly as the tables
// describe it and a new key needs no edit here.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "config/options.hh"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: gen-man-options TEMPLATE OUT\n";
        return 2;
    }
    std::ifstream in(argv[1]);
    if (!in) {
        std::cerr << argv[1] << ": cannot read\n";
        return 1;
    }
    std::ostringstream out;
    std::string line;
    int options = 0, consul_keys = 0;
    while (std::getline(in, line)) {
        if (line.find("@OPTIONS@") != std::string::npos) {
            ++options;
            for (const auto& def : muster::config::option_table())
                out << muster::config::man_entry(def);
        } else if (line.find("@CONSUL_KEYS@") != std::string::npos) {
            ++consul_keys;
            for (const auto& key : muster::config::consul_key_table())
                out << muster::config::man_entry(key);
        } else {
            out << line << '\n';
        }
    }
    if (options != 1 || consul_keys != 1) {
        std::cerr << argv[1] << ": expected one @OPTIONS@ and one @CONSUL_KEYS@ line, found "
                  << options << " and " << consul_keys << "\n";
        return 1;
    }
    std::ofstream file(argv[2], std::ios::trunc);
    file << out.str();
    if (!file.flush()) {
        std::cerr << argv[2] << ": cannot write\n";
        return 1;
    }
    return 0;
}
