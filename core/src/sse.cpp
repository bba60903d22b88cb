#include "reroute/sse.hpp"

#include <cstring>

namespace reroute::sse {
namespace {

constexpr char kBom[3] = {'\xEF', '\xBB', '\xBF'};

bool ignore_item(void*, const Item&) { return true; }

// Index of the first CR or LF at or after i, or s.size().
std::size_t find_line_end(std::string_view s, std::size_t i) noexcept {
    const char* p = s.data();
    const std::size_t n = s.size();
    while (i < n && p[i] != '\n' && p[i] != '\r') ++i;
    return i;
}

// The text before the first CR or LF.
std::string_view first_line(std::string_view s) noexcept { return s.substr(0, find_line_end(s, 0)); }

}  // namespace

Status Parser::feed(std::string_view bytes, Callback on_item, void* context) {
    if (status_ != Status::ok) return status_;
    if (!bom_done_) {
        // The BOM may arrive split over chunks: keep its prefix until it is complete or broken.
        while (bom_len_ < 3 && !bytes.empty()) {
            if (bytes.front() != kBom[bom_len_]) {
                bom_done_ = true;
                line_.append(bom_, bom_len_);  // a strict BOM prefix holds no line break
                bom_len_ = 0;
                break;
            }
            bom_[bom_len_++] = bytes.front();
            bytes.remove_prefix(1);
        }
        if (!bom_done_) {
            if (bom_len_ < 3) return Status::ok;
            bom_done_ = true;
            bom_len_ = 0;
        }
    }
    return consume(bytes, on_item, context);
}

Status Parser::consume(std::string_view b, Callback on_item, void* context) {
    std::size_t i = 0;
    const std::size_t n = b.size();
    if (after_cr_ && n > 0) {
        after_cr_ = false;
        if (b[0] == '\n') i = 1;
    }
    while (i < n) {
        std::size_t j = find_line_end(b, i);
        if (j == n) {  // an incomplete line: keep it for the next chunk
            if (over_limit(n - i)) {
                fail();
                return status_;
            }
            line_.append(b.data() + i, n - i);
            return Status::ok;
        }
        // The same bound whether the line came whole or in pieces, so any split gives the same result.
        if (over_limit(j - i)) {
            fail();
            return status_;
        }
        std::string_view line;
        if (line_.empty()) {
            line = b.substr(i, j - i);
        } else {
            line_.append(b.data() + i, j - i);
            line = line_;
        }
        if (b[j] == '\r') {
            if (j + 1 < n) {
                if (b[j + 1] == '\n') ++j;
            } else {
                after_cr_ = true;
            }
        }
        i = j + 1;
        const bool go = process_line(line, on_item, context);
        line_.clear();
        if (status_ != Status::ok) return status_;
        if (!go) return Status::ok;
    }
    return Status::ok;
}

bool Parser::process_line(std::string_view line, Callback on_item, void* context) {
    if (line.empty()) return dispatch(on_item, context);
    if (line.front() == ':') {
        Item item;
        item.kind = ItemKind::comment;
        item.data = line.substr(1);
        return on_item(context, item);
    }
    std::string_view field = line, value;
    if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
        field = line.substr(0, colon);
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
        if (data_.size() + type_.size() + value.size() + 1 > max_event_bytes_) {
            fail();
            return false;
        }
        data_.append(value);
        data_.push_back('\n');
    } else if (field == "event") {
        if (data_.size() + value.size() > max_event_bytes_) {
            fail();
            return false;
        }
        type_.assign(value);
    } else if (field == "id") {
        if (value.find('\0') == std::string_view::npos) id_buf_.assign(value);
    } else if (field == "retry") {
        if (!value.empty()) {
            std::uint64_t v = 0;
            bool digits = true;
            for (const char c : value) {
                if (c < '0' || c > '9') {
                    digits = false;
                    break;
                }
                const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
                v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
            }
            if (digits) retry_ = v;
        }
    }
    // Any other field is ignored.
    return true;
}

bool Parser::dispatch(Callback on_item, void* context) {
    last_id_ = id_buf_;
    if (data_.empty()) {
        type_.clear();
        return true;
    }
    data_.pop_back();  // the LF after the last data line
    Item item;
    item.kind = ItemKind::event;
    item.type = type_;
    item.data = data_;
    item.id = last_id_;
    const bool go = on_item(context, item);
    data_.clear();
    type_.clear();
    return go;
}

void Parser::fail() noexcept {
    status_ = Status::event_too_large;
    std::string().swap(line_);
    std::string().swap(data_);
    std::string().swap(type_);
}

std::vector<OwnedItem> Parser::feed_all(std::string_view bytes) {
    std::vector<OwnedItem> items;
    feed(bytes, [&](const Item& item) {
        items.push_back({item.kind, std::string(item.type), std::string(item.data), std::string(item.id)});
        return true;
    });
    return items;
}

Tail Parser::finish() {
    Tail tail;
    tail.status = status_;
    if (status_ == Status::ok) {
        if (!bom_done_ && bom_len_ > 0) line_.append(bom_, bom_len_);
        tail.unterminated = !line_.empty() || !data_.empty() || !type_.empty();
        if (!line_.empty()) {
            const std::string line = std::move(line_);
            line_.clear();
            process_line(line, &ignore_item, nullptr);
        }
        if (status_ == Status::ok && !data_.empty()) {
            OwnedItem item;
            item.kind = ItemKind::event;
            item.type = type_;
            item.data.assign(data_, 0, data_.size() - 1);
            item.id = id_buf_;
            tail.pending = std::move(item);
        }
        tail.status = status_;
    }
    status_ = Status::ok;
    line_.clear();
    data_.clear();
    type_.clear();
    id_buf_ = last_id_;
    bom_len_ = 0;
    bom_done_ = false;
    after_cr_ = false;
    return tail;
}

void write_event(std::string& out, std::string_view name, std::string_view data) {
    if (!name.empty()) {
        out.append("event: ");
        out.append(first_line(name));
        out.push_back('\n');
    }
    std::size_t i = 0;
    for (;;) {
        const std::size_t j = find_line_end(data, i);
        out.append("data: ");
        out.append(data.data() + i, j - i);
        out.push_back('\n');
        if (j == data.size()) break;
        i = j + 1;
        if (data[j] == '\r' && i < data.size() && data[i] == '\n') ++i;
        // A break at the very end still starts one (empty) data line, so the LF survives.
    }
    out.push_back('\n');
}

void write_comment(std::string& out, std::string_view text) {
    out.push_back(':');
    out.append(first_line(text));
    out.append("\n\n");
}

}  // namespace reroute::sse
