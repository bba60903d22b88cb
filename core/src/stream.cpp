#include "reroute/stream.hpp"

#include <cmath>
#include <utility>

#include "reroute/classify.hpp"
#include "reroute/config.hpp"
#include "reroute/display.hpp"
#include "reroute/envelope.hpp"
#include "reroute/json.hpp"
#include "reroute/provider_body.hpp"
#include "reroute/redact.hpp"
#include "reroute/retry_hint.hpp"

namespace reroute::stream {
namespace {

using json::Kind;
using json::Value;

// Choices tracked for completeness; an index beyond this many distinct ones is not tracked.
constexpr std::size_t kMaxTrackedChoices = 64;
// How much of a bad frame goes into the raw text.
constexpr std::size_t kFrameExcerptBytes = 512;

bool nonempty_string(const Value* v) noexcept { return v && v->is_string() && !v->string.empty(); }
bool nonempty_array(const Value* v) noexcept { return v && v->kind == Kind::array && !v->items.empty(); }
// `error: null` and `error: false` mean "no error".
bool present(const Value* v) noexcept {
    return v && v->kind != Kind::null && !(v->kind == Kind::boolean && !v->boolean);
}
const Value* object_member(const Value& v, std::string_view key) noexcept {
    const Value* m = v.find(key);
    return m && m->is_object() ? m : nullptr;
}

std::string_view trim_json_ws(std::string_view s) noexcept {
    auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && ws(s.back())) s.remove_suffix(1);
    return s;
}

// At most max bytes of s, cut before a UTF-8 continuation byte.
std::string_view utf8_prefix(std::string_view s, std::size_t max) noexcept {
    if (s.size() <= max) return s;
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}

std::string bounded_raw(std::string_view raw) {
    std::string redacted = redact_secrets(utf8_prefix(raw, 4 * kMaxRawBytes));
    if (redacted.size() > kMaxRawBytes) redacted.resize(utf8_prefix(redacted, kMaxRawBytes).size());
    return redacted;
}

std::string excerpt(std::string_view prefix, std::string_view data) {
    std::string s(prefix);
    s.append(utf8_prefix(data, kFrameExcerptBytes));
    if (data.size() > kFrameExcerptBytes) s.append("...");
    return s;
}

// The message fact the classifier reads (3): data.message, else message, else a string error.
std::optional<std::string_view> message_of(const ErrorValue& e) noexcept {
    if (e.kind == ErrorValue::Kind::string) return e.text;
    if (e.data_message) return *e.data_message;
    if (e.message) return *e.message;
    return std::nullopt;
}

ErrorValue message_facts(std::string message) {
    ErrorValue e = ErrorValue::object();
    e.message = std::move(message);
    return e;
}

// A choice that finished with "error": its own error member if it has one.
ErrorValue choice_error_facts(const Value& choice) {
    ErrorValue e = ErrorValue::object();
    if (const Value* err = object_member(choice, "error")) {
        if (const Value* m = err->find("message"); m && m->is_string()) e.message = m->string;
        if (const Value* c = err->find("code")) {
            if (c->is_string()) e.code = c->string;
            if (c->is_number()) e.code_number = c->number;
        }
    }
    if (!e.message) e.message = "The upstream ended the answer with finish_reason \"error\".";
    return e;
}

ErrorValue content_filter_facts() {
    return message_facts("The upstream stopped the answer with finish_reason content_filter before any output.");
}

// Compact JSON of a parsed value (usage objects), duplicates kept in source order.
void append_json(std::string& out, const Value& v) {
    switch (v.kind) {
        case Kind::null: out += "null"; break;
        case Kind::boolean: out += v.boolean ? "true" : "false"; break;
        case Kind::number:
            if (std::isfinite(v.number)) json::write_number(out, v.number);
            else out += "null";
            break;
        case Kind::string: json::write_string(out, v.string); break;
        case Kind::array: {
            out.push_back('[');
            bool first = true;
            for (const Value& item : v.items) {
                if (!first) out.push_back(',');
                first = false;
                append_json(out, item);
            }
            out.push_back(']');
            break;
        }
        case Kind::object: {
            out.push_back('{');
            bool first = true;
            for (const auto& [key, item] : v.members) {
                if (!first) out.push_back(',');
                first = false;
                json::write_string(out, key);
                out.push_back(':');
                append_json(out, item);
            }
            out.push_back('}');
            break;
        }
    }
}

// A `usage` member's value; nullopt unless it is an object.
std::optional<Usage> read_usage(const Value* u) {
    if (!u || !u->is_object()) return std::nullopt;
    Usage usage;
    auto number = [&](std::string_view key) -> std::optional<double> {
        const Value* n = u->find(key);
        if (n && n->is_number()) return n->number;
        return std::nullopt;
    };
    usage.prompt_tokens = number("prompt_tokens");
    usage.completion_tokens = number("completion_tokens");
    usage.total_tokens = number("total_tokens");
    append_json(usage.json, *u);
    return usage;
}

bool is_error_type(const Value& v) {
    const Value* t = v.find("type");
    return t && t->is_string() && (t->string == "error" || t->string == "response.failed");
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Failure make_failure(OutcomeKind kind, ErrorValue facts, std::string_view raw, bool after_commit) {
    Failure f;
    f.kind = kind;
    f.code = code_for_kind(kind);
    if (!f.code && kind != OutcomeKind::cancelled) f.code = classify(facts);
    if (const auto message = message_of(facts)) f.retry_after_ms = retry_after_ms_from_text(*message);
    f.facts = std::move(facts);
    f.raw = bounded_raw(raw);
    f.after_commit = after_commit;
    return f;
}

// ---------------------------------------------------------------------------------------------
// StreamRelay

StreamRelay::StreamRelay(RelayOptions options) : options_(std::move(options)), parser_(options_.max_event_bytes) {
    partial_ = options_.partial_prefix;
    produced_ = text_or_tool_ = !options_.partial_prefix.empty();
}

bool StreamRelay::on_item_thunk(void* self, const sse::Item& item) {
    return static_cast<StreamRelay*>(self)->on_item(item);
}

bool StreamRelay::on_item(const sse::Item& item) {
    if (item.kind == sse::ItemKind::comment) {
        frame_.clear();
        frame_.push_back(':');
        frame_.append(item.data);
        frame_.append("\n\n");
        emit(frame_, false);
        return true;
    }
    return on_event(item.type, item.data, false);
}

Step StreamRelay::feed(std::string_view bytes) {
    Step step;
    if (failure_ || done_ || ended_) return step;
    out_ = &step.out;
    committed_now_ = &step.committed;
    const sse::Status status = parser_.feed(bytes, &on_item_thunk, this);
    if (status != sse::Status::ok && !failure_) {
        set_failure(make_failure(OutcomeKind::stream_malformed, message_facts("Upstream SSE event too large."),
                                 "upstream SSE event larger than " + std::to_string(parser_.max_event_bytes()) + " bytes",
                                 committed_));
    }
    if (failure_) step.failure = failure_;
    step.done = done_;
    out_ = nullptr;
    committed_now_ = nullptr;
    return step;
}

End StreamRelay::end_of_upstream(std::string_view trail) {
    End end;
    if (ended_) {
        end.failure = failure_;
        return end;
    }
    ended_ = true;
    if (failure_) {
        end.failure = failure_;
        return end;
    }
    out_ = &end.out;
    committed_now_ = &end.committed;
    if (!done_) {
        const sse::Tail tail = parser_.finish();
        if (tail.pending) on_event(tail.pending->type, tail.pending->data, true);
    }
    if (!failure_) {
        bool all_finished = !choices_.empty();
        for (const ChoiceState& c : choices_) all_finished = all_finished && c.finished;
        if (!all_finished) {
            set_failure(make_failure(OutcomeKind::stream_truncated, message_facts("Upstream stream ended without a finish reason."),
                                     done_ ? "upstream sent [DONE] without a finish reason"
                                           : "upstream stream ended without a finish reason",
                                     committed_));
        } else if (!text_or_tool_) {
            if (finish_reason_ == "content_filter") {
                set_failure(make_failure(OutcomeKind::in_band_error, content_filter_facts(),
                                         "upstream finished with finish_reason content_filter and no output", committed_));
            } else {
                set_failure(make_failure(OutcomeKind::empty_answer, message_facts("Upstream returned an empty answer."),
                                         "upstream finished (finish_reason " + finish_reason_ +
                                             ") without text, tool call or refusal",
                                         committed_));
            }
        } else {
            if (!committed_) commit();
            end.out.append(trail);
            end.out.append(sse::kDoneFrame);
            end.complete = true;
            end.done_added = !done_;
        }
    }
    end.failure = failure_;
    out_ = nullptr;
    committed_now_ = nullptr;
    return end;
}

Failure StreamRelay::fail(OutcomeKind kind, ErrorValue facts, std::string_view raw) {
    if (!failure_) set_failure(make_failure(kind, std::move(facts), raw, committed_));
    return *failure_;
}

void StreamRelay::set_failure(Failure failure) {
    failure_ = std::move(failure);
    std::string().swap(held_);  // before the commit point the client never sees them
}

void StreamRelay::emit(std::string_view frame, bool content) {
    if (committed_) {
        out_->append(frame);
        return;
    }
    if (content) {
        commit();
        out_->append(frame);
        return;
    }
    if (options_.drop_preamble) return;
    held_.append(frame);
    if (held_.size() >= options_.hold_limit) commit();
}

void StreamRelay::commit() {
    committed_ = true;
    if (committed_now_) *committed_now_ = true;
    out_->append(options_.prelude);
    out_->append(held_);
    std::string().swap(held_);
}

StreamRelay::ChoiceState* StreamRelay::choice(double index) {
    for (ChoiceState& c : choices_)
        if (c.index == index) return &c;
    if (choices_.size() >= kMaxTrackedChoices) return nullptr;
    choices_.push_back({index, false});
    return &choices_.back();
}

bool StreamRelay::on_event(std::string_view type, std::string_view data, bool at_end) {
    if (type == "error") {
        auto facts = error_from_stream_event(type, data);
        set_failure(make_failure(OutcomeKind::in_band_error, facts ? std::move(*facts) : message_facts(std::string(data)),
                                 data, committed_));
        return false;
    }
    if (!type.empty() && type != "message") return true;  // not part of the OpenAI format: dropped
    if (trim_json_ws(data) == "[DONE]") {
        done_ = true;
        return false;
    }
    // One validating pass over the frame picks the top-level members; only `choices` (and the rare
    // usage, error type or first id/model) is then read into values.
    struct Top {
        std::string_view error, type, id, model, created, usage, choices;
    } top;
    const std::optional<Kind> kind = json::scan(data, [&top](std::string_view key, std::string_view text) {
        if (key == "choices") top.choices = text;
        else if (key == "error") top.error = text;
        else if (key == "type") top.type = text;
        else if (key == "id") top.id = text;
        else if (key == "model") top.model = text;
        else if (key == "created") top.created = text;
        else if (key == "usage") top.usage = text;
    });
    if (kind != Kind::object) {
        if (at_end) {
            set_failure(make_failure(OutcomeKind::stream_truncated, message_facts("Upstream stream was cut inside an event."),
                                     excerpt("upstream stream ended inside an unfinished event: ", data), committed_));
        } else {
            set_failure(make_failure(OutcomeKind::stream_malformed, message_facts("Upstream sent a malformed SSE frame."),
                                     excerpt("malformed upstream SSE frame: ", data), committed_));
        }
        return false;
    }
    auto value_of = [](std::string_view text) -> std::optional<Value> {
        if (text.empty()) return std::nullopt;
        return json::parse(text);
    };
    const bool error_member = !top.error.empty() && top.error != "null" && top.error != "false";
    bool error_type = false;
    if (!top.type.empty() && top.type.front() == '"') {
        const auto t = value_of(top.type);
        error_type = t && (t->string == "error" || t->string == "response.failed");
    }
    if (error_member || error_type) {
        auto facts = error_from_stream_event(type, data);
        set_failure(make_failure(OutcomeKind::in_band_error, facts ? std::move(*facts) : message_facts(std::string(data)),
                                 data, committed_));
        return false;
    }

    if (id_.empty() && top.id.size() > 2 && top.id.front() == '"')
        if (auto id = value_of(top.id)) id_ = std::move(id->string);
    if (model_.empty() && top.model.size() > 2 && top.model.front() == '"')
        if (auto m = value_of(top.model)) model_ = std::move(m->string);
    if (!created_)
        if (auto c = value_of(top.created); c && c->is_number()) created_ = c->number;
    if (!top.usage.empty() && top.usage.front() == '{')
        if (auto u = value_of(top.usage))
            if (auto usage = read_usage(&*u)) usage_ = std::move(usage);
    const std::optional<Value> choices_value =
        !top.choices.empty() && top.choices.front() == '[' ? value_of(top.choices) : std::nullopt;

    bool content = false, finishes = false;
    if (const Value* choices = choices_value ? &*choices_value : nullptr) {
        for (std::size_t pos = 0; pos < choices->items.size(); ++pos) {
            const Value& c = choices->items[pos];
            if (!c.is_object()) continue;
            const Value* index_value = c.find("index");
            const double index = index_value && index_value->is_number() ? index_value->number : double(pos);
            ChoiceState* state = choice(index);
            if (const Value* delta = object_member(c, "delta")) {
                if (const Value* text = delta->find("content"); nonempty_string(text)) {
                    content = text_or_tool_ = true;
                    if (index == 0) partial_.append(text->string);
                }
                if (nonempty_string(delta->find("refusal"))) content = text_or_tool_ = true;
                if (nonempty_string(delta->find("reasoning")) || nonempty_string(delta->find("reasoning_content")) ||
                    nonempty_array(delta->find("reasoning_details")))
                    content = true;
                if (const Value* calls = delta->find("tool_calls"); nonempty_array(calls)) {
                    content = text_or_tool_ = true;
                    if (index == 0) {
                        for (std::size_t k = 0; k < calls->items.size(); ++k) {
                            const Value& call = calls->items[k];
                            if (!call.is_object()) continue;
                            const Value* ti = call.find("index");
                            const double tool_index = ti && ti->is_number() ? ti->number : double(k);
                            ToolCall* tool = nullptr;
                            for (ToolCall& t : tools_)
                                if (t.index == tool_index) tool = &t;
                            if (!tool) tool = &tools_.emplace_back(ToolCall{tool_index, {}});
                            if (const Value* fn = object_member(call, "function"))
                                if (const Value* args = fn->find("arguments"); args && args->is_string())
                                    tool->arguments.append(args->string);
                        }
                    }
                }
                if (const Value* call = object_member(*delta, "function_call")) {  // legacy functions
                    content = text_or_tool_ = true;
                    if (index == 0) {
                        if (tools_.empty()) tools_.push_back(ToolCall{0, {}});
                        if (const Value* args = call->find("arguments"); args && args->is_string())
                            tools_.back().arguments.append(args->string);
                    }
                }
            }
            if (const Value* reason = c.find("finish_reason"); nonempty_string(reason)) {
                if (reason->string == "error") {
                    set_failure(make_failure(OutcomeKind::in_band_error, choice_error_facts(c), data, committed_));
                    return false;
                }
                if (state) state->finished = true;
                finish_reason_ = reason->string;
                finishes = true;
            }
        }
    }
    if (content) produced_ = true;
    frame_.clear();
    sse::write_event(frame_, {}, data);
    emit(frame_, content || (finishes && produced_));
    return true;
}

bool StreamRelay::in_unfinished_tool_call() const {
    bool all_finished = !choices_.empty();
    for (const ChoiceState& c : choices_) all_finished = all_finished && c.finished;
    if (all_finished) return false;
    for (const ToolCall& t : tools_) {
        const std::string_view args = trim_json_ws(t.arguments);
        if (args.empty() || !json::parse(args)) return true;
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// Endings and events

std::string error_ending(const ErrorEnding& e) {
    const std::string_view code = to_string(e.code);
    std::string out = e.trail;
    out.append("data: {\"id\":");
    json::write_string(out, e.chunk_id);
    out.append(",\"object\":\"chat.completion.chunk\",\"created\":");
    json::write_number(out, std::isfinite(e.created) ? e.created : 0);
    out.append(",\"model\":");
    json::write_string(out, e.chunk_model);
    out.append(",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"error\"}]}\n\n");

    auto non_empty = [](const std::optional<std::string>& s) -> std::optional<std::string_view> {
        if (s && !s->empty()) return std::string_view(*s);
        return std::nullopt;
    };
    EnvelopeFields fields;
    fields.code = std::string(code);
    fields.provider = e.provider;
    fields.model = e.model;
    fields.tried = e.tried;
    fields.raw = e.raw.empty() ? std::string("Unknown error") : redact_secrets(e.raw);
    fields.retry_after_ms = e.retry_after_ms;

    out.append("data: {\"error\":{\"message\":");
    json::write_string(out, content_sentence(e.code, non_empty(e.provider), non_empty(e.model)));
    out.append(",\"type\":");
    json::write_string(out, code);
    out.append(",\"code\":");
    json::write_string(out, code);
    out.append(",\"envelope\":");
    json::write_string(out, encode_envelope(fields));
    out.append(",\"partial\":true}}\n\n");
    return out;
}

void fallback_event(std::string& out, std::string_view notice_content) {
    sse::write_event(out, "reroute.fallback", notice_content);
}
void restart_event(std::string& out, std::string_view data) { sse::write_event(out, "reroute.restart", data); }
void trail_event(std::string& out, std::string_view trail_json) { sse::write_event(out, "reroute.trail", trail_json); }

// ---------------------------------------------------------------------------------------------
// Non-streaming

BodyCheck check_completion_body(std::string_view body) {
    BodyCheck r;
    const std::optional<Value> parsed = json::parse(body);
    if (!parsed || !parsed->is_object()) {
        r.failure = make_failure(OutcomeKind::stream_malformed, message_facts("Upstream sent a malformed completion body."),
                                 excerpt("malformed completion body: ", body), false);
        return r;
    }
    const Value& v = *parsed;
    if (const Value* m = v.find("model"); m && m->is_string()) r.model = m->string;
    r.usage = read_usage(v.find("usage"));
    if (present(v.find("error")) || is_error_type(v)) {
        r.failure = make_failure(OutcomeKind::in_band_error, error_from_response(200, body), body, false);
        return r;
    }
    const Value* choices = v.find("choices");
    if (!choices || choices->kind != Kind::array) {
        r.failure = make_failure(OutcomeKind::stream_malformed, message_facts("Upstream completion body has no choices."),
                                 excerpt("completion body without choices: ", body), false);
        return r;
    }
    bool answer = false, filtered = false;
    for (const Value& c : choices->items) {
        if (!c.is_object()) continue;
        if (const Value* reason = c.find("finish_reason"); reason && reason->is_string()) {
            if (reason->string == "error") {
                r.failure = make_failure(OutcomeKind::in_band_error, choice_error_facts(c), body, false);
                return r;
            }
            if (reason->string == "content_filter") filtered = true;
        }
        if (nonempty_string(c.find("text"))) answer = true;  // legacy completions
        const Value* message = object_member(c, "message");
        if (!message) continue;
        if (const Value* content = message->find("content")) {
            if (nonempty_string(content)) answer = true;
            if (content->kind == Kind::array)  // content parts
                for (const Value& part : content->items)
                    if (part.is_object() && nonempty_string(part.find("text"))) answer = true;
        }
        if (nonempty_array(message->find("tool_calls")) || object_member(*message, "function_call") ||
            nonempty_string(message->find("refusal")) || object_member(*message, "audio"))
            answer = true;
    }
    if (answer) return r;
    if (filtered) {
        r.failure = make_failure(OutcomeKind::in_band_error, content_filter_facts(),
                                 "upstream finished with finish_reason content_filter and no output", false);
    } else {
        r.failure = make_failure(OutcomeKind::empty_answer, message_facts("Upstream returned an empty answer."),
                                 choices->items.empty() ? "completion body with no choices"
                                                        : "completion without text, tool call or refusal",
                                 false);
    }
    return r;
}

// ---------------------------------------------------------------------------------------------
// Continuation

std::string_view to_string(ContinuationAction action) noexcept {
    switch (action) {
        case ContinuationAction::end_with_error: return "end_with_error";
        case ContinuationAction::restart: return "restart";
        case ContinuationAction::prefill: return "prefill";
    }
    return {};
}

ContinuationPlan plan_continuation(Continuation mode, std::string_view partial_text, bool unfinished_tool_call,
                                   bool has_tool_calls, bool next_supports_prefill) {
    ContinuationPlan plan;
    auto restart = [&](std::string_view reason) {
        plan.action = ContinuationAction::restart;
        plan.reason = reason;
        restart_event(plan.next.prelude);
    };
    if (mode == Continuation::off) {
        plan.reason = "continuation_off";
    } else if (unfinished_tool_call) {
        restart("unfinished_tool_call");
    } else if (mode == Continuation::restart) {
        restart("restart_requested");
    } else if (has_tool_calls) {
        restart("tool_calls_in_partial");
    } else if (partial_text.empty()) {
        restart("no_partial_text");
    } else if (!next_supports_prefill) {
        restart("prefill_unsupported");
    } else {
        plan.action = ContinuationAction::prefill;
        plan.reason = "prefill";
        plan.prefill_message = "{\"role\":\"assistant\",\"content\":";
        json::write_string(plan.prefill_message, partial_text);
        plan.prefill_message.push_back('}');
        plan.next.partial_prefix = std::string(partial_text);
        plan.next.drop_preamble = true;
    }
    return plan;
}

ContinuationPlan plan_continuation(Continuation mode, const StreamRelay& failed, bool next_supports_prefill) {
    return plan_continuation(mode, failed.partial_text(), failed.in_unfinished_tool_call(), failed.has_tool_calls(),
                             next_supports_prefill);
}

}  // namespace reroute::stream
