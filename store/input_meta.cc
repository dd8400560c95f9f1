#include "store/input_meta.h"

#include <set>
#include <string>
#include <vector>

#include "store/key.h"
#include "store/scope_record.h"

namespace scopefs::store {
namespace {

using nlohmann::json;

// A first pass that refuses deep nesting and duplicate keys before any DOM is
// built: nlohmann keeps the last duplicate silently, and depth costs memory.
class ShapeChecker final : public nlohmann::json_sax<json> {
 public:
  std::string error;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    objects_.emplace_back();
    return Enter();
  }
  bool key(string_t& k) override {
    if (!objects_.back().insert(k).second) {
      error = "meta.json has the key \"" + Printable(k) + "\" twice";
      return false;
    }
    return true;
  }
  bool end_object() override {
    objects_.pop_back();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    objects_.emplace_back();  // keeps objects_ aligned with depth; arrays have no keys
    return Enter();
  }
  bool end_array() override {
    objects_.pop_back();
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    std::string what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, ..." -> "parse error at ..."
    if (size_t bracket = what.find("] "); bracket != std::string::npos) what.erase(0, bracket + 2);
    error = "meta.json is not valid JSON: " + what;
    return false;
  }

 private:
  bool Enter() {
    if (++depth_ > kMaxMetaDepth) {
      error = "meta.json is nested deeper than " + std::to_string(kMaxMetaDepth) + " levels";
      return false;
    }
    return true;
  }

  int depth_ = 0;
  std::vector<std::set<std::string>> objects_;
};

Result<std::optional<uint64_t>> Total(const json& meta, const char* name) {
  auto it = meta.find(name);
  if (it == meta.end()) return std::optional<uint64_t>();
  std::optional<uint64_t> total;
  if (it->is_number_unsigned()) {
    total = it->get<uint64_t>();
  } else if (it->is_number_integer() && it->get<int64_t>() >= 0) {
    total = static_cast<uint64_t>(it->get<int64_t>());
  }
  if (total) {
    RETURN_IF_ERROR(CheckTotalBits(std::string("meta.json: ") + name, *total));
    return total;
  }
  std::string shown = it->dump();
  if (shown.size() > 40) shown = shown.substr(0, 40) + "...";
  return Status::Invalid(std::string("meta.json: ") + name +
                         " must be a non-negative integer, got " + Printable(shown));
}

}  // namespace

bool IsDaemonOwnedMetaKey(std::string_view key) {
  static const std::set<std::string_view> kOwned = {
      "scope_key",       "created_at",         "last_accessed", "nodes_file_size",
      "links_file_size", "mappings_file_size", "mappings_size",
  };
  return kOwned.count(key) != 0;
}

Result<InputMeta> ParseInputMeta(std::string_view text) {
  if (text.size() > kMaxMetaBytes) {
    return Status::Invalid("meta.json is " + std::to_string(text.size()) + " bytes, at most " +
                           std::to_string(kMaxMetaBytes) + " are allowed");
  }
  ShapeChecker checker;
  if (!json::sax_parse(text, &checker)) {
    return Status::Invalid(checker.error.empty() ? "meta.json is not valid JSON" : checker.error);
  }
  json meta = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (meta.is_discarded()) return Status::Invalid("meta.json is not valid JSON");
  if (!meta.is_object()) {
    return Status::Invalid(std::string("meta.json must be a JSON object, got ") + meta.type_name());
  }

  InputMeta out;
  ASSIGN_OR_RETURN(out.total_nodes, Total(meta, "total_nodes"));
  ASSIGN_OR_RETURN(out.total_links, Total(meta, "total_links"));
  if (auto it = meta.find("config_attributes"); it != meta.end()) {
    if (!it->is_object()) {
      return Status::Invalid(std::string("meta.json: config_attributes must be an object, got ") +
                             it->type_name());
    }
    out.config_attributes = *it;
  }
  for (auto& [k, v] : meta.items()) {
    if (k == "total_nodes" || k == "total_links" || k == "config_attributes") continue;
    if (IsDaemonOwnedMetaKey(k)) continue;
    out.extra[k] = v;
  }
  return out;
}

}  // namespace scopefs::store
