// Native benchmarks of the chat-error core. Prints one JSON object of figures (medians of
// several rounds) for bench/report.mjs, which sets them beside the WASM figures and the targets.
// Usage: bench_native SHARED_DIR
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "reroute/classify.hpp"
#include "reroute/envelope.hpp"
#include "vector_ops.hpp"

namespace json = boost::json;
using reroute::ErrorValue;

namespace {

constexpr int kRounds = 7;
constexpr double kRoundSeconds = 0.25;

// Keeps results alive so the optimiser cannot drop the work being measured.
volatile unsigned g_sink = 0;

// Median over rounds of operations per second; `batch` runs one pass and returns its op count.
double median_rate(const std::function<std::size_t()>& batch) {
    using clock = std::chrono::steady_clock;
    std::vector<double> rates;
    batch();  // warm-up
    for (int r = 0; r < kRounds; ++r) {
        std::size_t ops = 0;
        const auto start = clock::now();
        double elapsed = 0;
        do {
            ops += batch();
            elapsed = std::chrono::duration<double>(clock::now() - start).count();
        } while (elapsed < kRoundSeconds);
        rates.push_back(double(ops) / elapsed);
    }
    std::sort(rates.begin(), rates.end());
    return rates[rates.size() / 2];
}

double classify_rate(const std::vector<ErrorValue>& inputs) {
    return median_rate([&] {
        unsigned acc = 0;
        for (const auto& e : inputs) acc += unsigned(reroute::classify(e));
        g_sink = g_sink + acc;
        return inputs.size();
    });
}

json::value read_json(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << "cannot read " << path << "\n";
        std::exit(2);
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    return json::parse(buf.str());
}

std::size_t message_length(const ErrorValue& e) {
    return e.kind == ErrorValue::Kind::string ? e.text.size() : e.message ? e.message->size() : 0;
}

// A realistic long message: a provider body repeated up to `bytes`, with no early match.
std::string long_message(std::size_t bytes) {
    const std::string chunk =
        "upstream said: {\"object\":\"response\",\"detail\":\"the request could not be completed because "
        "the backend returned an unexpected payload; see trace id 5f2c9a for details\"} ";
    std::string out;
    while (out.size() < bytes) out += chunk;
    out.resize(bytes);
    return out + " Rate limit exceeded";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: bench_native SHARED_DIR\n";
        return 2;
    }
    const std::string shared = argv[1];

    // Named, not temporaries: a range-for over a member of a temporary would dangle.
    const json::value conformance = read_json(shared + "/conformance/chat-errors.json");
    const json::value provider_bodies = read_json(shared + "/bench/provider-errors.json");

    std::vector<ErrorValue> vector_inputs;
    for (const auto& v : conformance.at("vectors").as_array())
        if (v.at("op").as_string() == "classify")
            vector_inputs.push_back(reroute::conformance::error_value_from_input(v.at("input")));

    std::vector<ErrorValue> provider_errors, over_1k;
    for (const auto& v : provider_bodies.as_array()) {
        provider_errors.push_back(reroute::conformance::error_value_from_json(&v));
        if (message_length(provider_errors.back()) > 1024) over_1k.push_back(provider_errors.back());
    }

    json::object out;
    out["classify_vectors_per_s"] = classify_rate(vector_inputs);
    out["classify_provider_errors_per_s"] = classify_rate(provider_errors);
    out["classify_over_1k_per_s"] = classify_rate(over_1k);
    out["over_1k_count"] = over_1k.size();

    // Linearity: cost per byte of a 64 KiB message against a 1 KiB one.
    const std::vector<ErrorValue> one_k{ErrorValue::from_text(long_message(1024))};
    const std::vector<ErrorValue> sixty_four_k{ErrorValue::from_text(long_message(64 * 1024))};
    const double ns_per_byte_1k = 1e9 / (classify_rate(one_k) * 1024);
    const double ns_per_byte_64k = 1e9 / (classify_rate(sixty_four_k) * 64 * 1024);
    out["classify_ns_per_byte_1k"] = ns_per_byte_1k;
    out["classify_ns_per_byte_64k"] = ns_per_byte_64k;
    out["classify_64k_over_1k_per_byte"] = ns_per_byte_64k / ns_per_byte_1k;

    reroute::EnvelopeFields fields;
    fields.code = "credit_exhausted";
    fields.provider = "openrouter";
    fields.model = "anthropic/claude-opus-4.8";
    fields.tried = 3;
    fields.raw = "HTTP 402: This request requires more credits, or fewer max_tokens. You requested up to 4096 tokens.";
    out["envelope_round_trips_per_s"] = median_rate([&] {
        constexpr std::size_t kBatch = 64;
        for (std::size_t i = 0; i < kBatch; ++i) {
            const std::string stored = reroute::encode_envelope(fields);
            const reroute::DecodedEnvelope decoded = reroute::decode_envelope(std::string_view(stored));
            g_sink = g_sink + unsigned(decoded.raw ? decoded.raw->size() : 0);
        }
        return kBatch;
    });

    std::cout << json::serialize(out) << "\n";
    return 0;
}
