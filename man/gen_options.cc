// gen-man-options TEMPLATE OUT: writes the man page TEMPLATE to OUT with its @OPTIONS@ line
// replaced by one entry per key of the option table, so muster.json(5) documents every option
// exactly as the table describes it and a new option needs no edit here.
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
    int markers = 0;
    while (std::getline(in, line)) {
        if (line.find("@OPTIONS@") == std::string::npos) {
            out << line << '\n';
            continue;
        }
        ++markers;
        for (const auto& def : muster::config::option_table())
            out << muster::config::man_entry(def);
    }
    if (markers != 1) {
        std::cerr << argv[1] << ": expected one @OPTIONS@ line, found " << markers << "\n";
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
