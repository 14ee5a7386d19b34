// The catalog's data model: check states and the health rule shared by DNS and the HTTP API.
#include "catalog/model.hh"

namespace muster::catalog {

std::string_view status_name(Status s) {
    switch (s) {
        case Status::passing:
            return "passing";
        case Status::warning:
            return "warning";
        case Status::critical:
            return "critical";
    }
    return "critical";  // unreachable for valid enumerators; fail closed
}

std::optional<Status> parse_status(std::string_view text) {
    for (Status s : {Status::passing, Status::warning, Status::critical})
        if (text == status_name(s))
            return s;
    return std::nullopt;
}

Status aggregate_status(const std::vector<Check>& checks) {
    Status worst = Status::passing;
    for (const auto& c : checks)
        if (c.status > worst)
            worst = c.status;
    return worst;
}

bool passes(Status aggregate, HealthFilter filter) {
    switch (filter) {
        case HealthFilter::any:
            return true;
        case HealthFilter::healthy:
            return aggregate != Status::critical;
        case HealthFilter::passing_only:
            return aggregate == Status::passing;
    }
    return false;
}

}  // namespace muster::catalog
