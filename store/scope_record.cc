#include "store/scope_record.h"

#include "store/clock.h"
#include "store/crc32.h"

namespace scopefs::store {
namespace {

using nlohmann::json;

constexpr int kFormatVersion = 1;

uint32_t Crc(std::string_view s) { return Crc32(s); }

json FileJson(const StoredFile& f) {
  return {{"size", f.size}, {"crc32", f.crc32}, {"mtime_ns", f.mtime_ns}};
}

StoredFile FileFromJson(const json& j) {
  return {j.at("size").get<uint64_t>(), j.at("crc32").get<uint32_t>(),
          j.at("mtime_ns").get<int64_t>()};
}

}  // namespace

Status CheckTotalBits(std::string_view what, uint64_t bits) {
  if (bits <= kMaxTotalBits) return Status::Ok();
  return Status::Invalid(std::string(what) + " is " + std::to_string(bits) +
                         ", more than the limit of " + std::to_string(kMaxTotalBits) +
                         " (2^34) bits");
}

std::string SerializeRecord(const ScopeRecord& r) {
  json record = {
      {"format", kFormatVersion},
      {"scope_key", r.key},
      {"created_ns", r.created_ns},
      {"total_nodes", r.total_nodes},
      {"total_links", r.total_links},
      {"config_attributes", r.config_attributes},
      {"extra", r.extra},
      {"nodes", FileJson(r.nodes)},
      {"links", FileJson(r.links)},
      {"mappings", FileJson(r.mappings)},
      {"meta_mtime_ns", r.meta_mtime_ns},
      {"mappings_index", GzipIndexToJson(r.mappings_index)},
  };
  if (r.nodes_idx) record["nodes_idx"] = FileJson(*r.nodes_idx);
  if (r.links_idx) record["links_idx"] = FileJson(*r.links_idx);
  std::string body = record.dump();
  // The CRC covers the record's bytes exactly as written here; ParseRecord
  // re-serializes the parsed record, which nlohmann reproduces byte for byte.
  return "{\"crc32\":" + std::to_string(Crc(body)) + ",\"record\":" + body + "}\n";
}

Result<ScopeRecord> ParseRecord(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Status::Corruption("meta.json does not parse");
  try {
    const json& record = doc.at("record");
    if (Crc(record.dump()) != doc.at("crc32").get<uint32_t>()) {
      return Status::Corruption("meta.json checksum mismatch");
    }
    if (record.at("format").get<int>() != kFormatVersion) {
      return Status::Corruption("meta.json has unknown format " + record.at("format").dump());
    }
    ScopeRecord r;
    r.key = record.at("scope_key").get<std::string>();
    r.created_ns = record.at("created_ns").get<int64_t>();
    r.total_nodes = record.at("total_nodes").get<uint64_t>();
    r.total_links = record.at("total_links").get<uint64_t>();
    r.config_attributes = record.at("config_attributes");
    r.extra = record.at("extra");
    r.nodes = FileFromJson(record.at("nodes"));
    r.links = FileFromJson(record.at("links"));
    r.mappings = FileFromJson(record.at("mappings"));
    r.meta_mtime_ns = record.at("meta_mtime_ns").get<int64_t>();
    ASSIGN_OR_RETURN(r.mappings_index, GzipIndexFromJson(record.at("mappings_index")));
    if (record.contains("nodes_idx")) r.nodes_idx = FileFromJson(record.at("nodes_idx"));
    if (record.contains("links_idx")) r.links_idx = FileFromJson(record.at("links_idx"));
    if (r.nodes.size != BitsFileSize(r.total_nodes) ||
        r.links.size != BitsFileSize(r.total_links) ||
        r.mappings.size != r.mappings_index.compressed_size) {
      return Status::Corruption("meta.json sizes disagree with its totals");
    }
    return r;
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("meta.json is missing a field: ") + e.what());
  }
}

json UserMeta(const ScopeRecord& r, const std::string& key, int64_t last_accessed_ns) {
  json meta = r.extra;
  meta["scope_key"] = key;
  meta["created_at"] = FormatIsoTime(r.created_ns);
  meta["last_accessed"] = FormatIsoTime(last_accessed_ns);
  meta["nodes_file_size"] = r.nodes.size;
  meta["links_file_size"] = r.links.size;
  meta["mappings_file_size"] = r.mappings.size;
  meta["mappings_size"] = r.mappings_index.uncompressed_size;
  meta["total_nodes"] = r.total_nodes;
  meta["total_links"] = r.total_links;
  meta["config_attributes"] = r.config_attributes;
  return meta;
}

}  // namespace scopefs::store
