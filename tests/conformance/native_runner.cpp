// Runs conformance vector files (the format of shared/conformance/chat-errors.json) through the
// native core. Prints each failing vector with expected vs actual, then one summary line
// "native: N passed, N failed". Exit status 1 on any failure or unreadable file.
#include <boost/json.hpp>

#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "vector_ops.hpp"

namespace json = boost::json;

namespace {

// Expected and actual compare as JSON values: member order is irrelevant, numbers by value.
bool same_json(const json::value& a, const json::value& b) {
    if (a.is_number() && b.is_number()) return a.to_number<double>() == b.to_number<double>();
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
        case json::kind::object: {
            const auto& ao = a.get_object();
            const auto& bo = b.get_object();
            if (ao.size() != bo.size()) return false;
            for (const auto& [key, value] : ao) {
                const auto* other = bo.if_contains(key);
                if (!other || !same_json(value, *other)) return false;
            }
            return true;
        }
        case json::kind::array: {
            const auto& aa = a.get_array();
            const auto& ba = b.get_array();
            if (aa.size() != ba.size()) return false;
            for (std::size_t i = 0; i < aa.size(); ++i)
                if (!same_json(aa[i], ba[i])) return false;
            return true;
        }
        default:
            return a == b;
    }
}

std::string read_file(const char* path, bool& ok) {
    std::ifstream in(path, std::ios::binary);
    ok = static_cast<bool>(in);
    std::ostringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: conformance_native FILE...\n";
        return 2;
    }
    int passed = 0, failed = 0;
    bool unreadable = false;
    for (int i = 1; i < argc; ++i) {
        bool ok = false;
        const std::string text = read_file(argv[i], ok);
        boost::system::error_code ec;
        const json::value doc = ok ? json::parse(text, ec) : json::value();
        const json::value* vectors = (ok && !ec && doc.is_object()) ? doc.get_object().if_contains("vectors") : nullptr;
        if (!vectors || !vectors->is_array()) {
            std::cerr << argv[i] << ": not a vector file (" << (ok ? "expected an object with a \"vectors\" array" : "cannot read") << ")\n";
            unreadable = true;
            continue;
        }
        for (const auto& vector : vectors->get_array()) {
            const json::object* v = vector.if_object();
            const json::string* id = v ? (*v).if_contains("id") ? (*v).at("id").if_string() : nullptr : nullptr;
            const std::string name = id ? std::string(*id) : std::string("(vector without id)");
            const json::value* op = v ? v->if_contains("op") : nullptr;
            const json::value* input = v ? v->if_contains("input") : nullptr;
            const json::value* expect = v ? v->if_contains("expect") : nullptr;
            if (!op || !op->is_string() || !input || !expect) {
                std::cout << "FAIL " << name << ": malformed vector (needs op, input, expect)\n";
                ++failed;
                continue;
            }
            const reroute::conformance::OpResult got = reroute::conformance::run_op(std::string(op->get_string()), *input);
            if (got.ok && same_json(got.value, *expect)) {
                ++passed;
            } else {
                ++failed;
                std::cout << "FAIL " << name << "\n  expected: " << json::serialize(*expect)
                          << "\n  actual:   " << (got.ok ? json::serialize(got.value) : got.error) << "\n";
            }
        }
    }
    std::cout << "native: " << passed << " passed, " << failed << " failed\n";
    return (failed || unreadable) ? 1 : 0;
}
