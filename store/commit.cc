#include "store/commit.h"

#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "store/crc32.h"
#include "store/gzip_stream.h"
#include "store/index_feeder.h"
#include "store/input_meta.h"
#include "store/key.h"
#include "store/log.h"
#include "store/mapping_index.h"
#include "store/mappings_validator.h"
#include "store/mutex.h"
#include "store/scratch_env.h"
#include "store/watched_file.h"

namespace scopefs::store {
namespace {

constexpr size_t kCopyBuffer = size_t{1} << 20;

// A new file in staging/<key>.
Result<std::unique_ptr<File>> CreateStaged(Env* env, const std::string& path,
                                           const CommitOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, env->Open(path, OpenMode::kCreateExclusive));
  if (!options.make_room) return file;
  // Room is made for each byte past the furthest one written so far.
  auto make_room = [&make_room = options.make_room, end = uint64_t{0}](
                       uint64_t offset, std::string_view data) mutable {
    if (offset + data.size() > end) {
      make_room(offset + data.size() - end);
      end = offset + data.size();
    }
    return Status::Ok();
  };
  return std::unique_ptr<File>(std::make_unique<WatchedFile>(std::move(file), make_room));
}

// How the commit counts an index builder's scratch: through make_room, like
// the staged files (never refused; the room is held until the commit ends).
ScratchAccount CommitScratch(const CommitOptions& options) {
  ScratchAccount account;
  account.owner = &options;
  if (options.make_room) {
    account.reserve = [&make_room = options.make_room](uint64_t bytes) {
      make_room(bytes);
      return Status::Ok();
    };
  }
  return account;
}

// NotFound is an answer here; any other failure is an error to report.
Result<bool> Exists(Env* env, const std::string& path) {
  Result<FileInfo> info = env->Stat(path);
  if (info.ok()) return true;
  if (info.status().code() == Status::Code::kNotFound) return false;
  return info.status();
}

// Copies `from` into a new file `to`, returning the CRC-32 of the bytes; syncs `to`.
Result<uint32_t> CopyWithCrc(Env* env, const std::string& from, const std::string& to,
                             const CommitOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<File> in, env->Open(from, OpenMode::kRead));
  ASSIGN_OR_RETURN(std::unique_ptr<File> out, CreateStaged(env, to, options));
  std::vector<char> buf(kCopyBuffer);
  uint32_t crc = 0;
  uint64_t offset = 0;
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, in->ReadAt(offset, buf.data(), buf.size()));
    if (n == 0) break;
    crc = Crc32Update(crc, std::string_view(buf.data(), n));
    RETURN_IF_ERROR(out->WriteAt(offset, buf.data(), n));
    offset += n;
  }
  RETURN_IF_ERROR(out->Sync());
  return crc;
}

Result<uint32_t> FileCrc(const File& file) {
  std::vector<char> buf(kCopyBuffer);
  uint32_t crc = 0;
  for (uint64_t offset = 0;;) {
    ASSIGN_OR_RETURN(size_t n, file.ReadAt(offset, buf.data(), buf.size()));
    if (n == 0) break;
    crc = Crc32Update(crc, std::string_view(buf.data(), n));
    offset += n;
  }
  return crc;
}

struct MappingsResult {
  std::string name;  // the user's file: mappings.json or mappings.json.gz
  MappingsValidator::SectionStats nodes;
  MappingsValidator::SectionStats links;
  GzipIndex index;
  uint32_t crc32 = 0;
  std::shared_ptr<MappingIndexBuilder> index_builders[2];  // null without an index
};

// Needed when meta.json gave no totals: they default to the entry counts,
// known only once the whole mappings text has streamed by.
Status CheckIndexRange(const MappingsResult& m, const ScopeRecord& r) {
  auto check = [&](const MappingsValidator::SectionStats& s, uint64_t total,
                   const char* noun) -> Status {
    if (s.max_index && *s.max_index >= total) {
      return Status::Invalid(m.name + ": " + noun + " index " + std::to_string(*s.max_index) +
                             " for \"" + Printable(s.max_index_id) + "\" is out of range [0, " +
                             std::to_string(total) + ")");
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(check(m.nodes, r.total_nodes, "node"));
  return check(m.links, r.total_links, "link");
}

// One streaming pass over the user's mappings (plain or gzip): validate and
// re-encode into `stored_path`, which is synced.
Result<MappingsResult> EncodeMappings(Env* env, const std::string& source, bool gzipped,
                                      const std::string& stored_path,
                                      const std::string& index_scratch, const InputMeta& meta,
                                      const CommitOptions& options) {
  const std::string name = gzipped ? "mappings.json.gz" : "mappings.json";
  ASSIGN_OR_RETURN(std::unique_ptr<File> in, env->Open(source, OpenMode::kRead));
  ASSIGN_OR_RETURN(std::unique_ptr<File> out, CreateStaged(env, stored_path, options));
  ChunkedGzipOptions codec = options.codec;
  codec.max_uncompressed = options.max_mappings_size;
  ChunkedGzipWriter writer(out.get(), codec);
  MappingsValidator validator(meta.total_nodes, meta.total_links);
  MappingsResult result;
  std::optional<IndexFeeder> feeder;  // after result: it goes first
  if (options.build_index) {
    for (int s = 0; s < 2; ++s) {
      result.index_builders[s] = std::make_shared<MappingIndexBuilder>(
          env, index_scratch + (s == 0 ? ".nodes" : ".links"));
      RETURN_IF_ERROR(result.index_builders[s]->CountScratchWith(CommitScratch(options)));
    }
    feeder.emplace(result.index_builders[0].get(), result.index_builders[1].get());
    validator.SetEntrySink([&](int section, std::string_view id, uint64_t value) {
      return feeder->Add(section, id, value);
    });
  }

  // Validation errors name the user's file; I/O errors keep their own context.
  auto sink = [&](std::string_view piece) -> Status {
    RETURN_IF_ERROR(validator.Feed(piece).Annotate(name));
    Status st = writer.Append(piece);
    if (st.code() == Status::Code::kTooBig) {
      return Status::Invalid(name + ": mappings are larger than " +
                             std::to_string(options.max_mappings_size) + " bytes uncompressed");
    }
    return st;
  };
  if (gzipped) {
    Status st = InflateGzipStream(*in, options.max_mappings_size, sink);
    if (st.code() == Status::Code::kInvalid && st.message().rfind(name, 0) != 0) {
      return st.Annotate(name);
    }
    RETURN_IF_ERROR(st);
  } else {
    std::vector<char> buf(kCopyBuffer);
    for (uint64_t offset = 0;;) {
      ASSIGN_OR_RETURN(size_t n, in->ReadAt(offset, buf.data(), buf.size()));
      if (n == 0) break;
      RETURN_IF_ERROR(sink(std::string_view(buf.data(), n)));
      offset += n;
    }
  }
  RETURN_IF_ERROR(validator.Finish().Annotate(name));
  if (feeder) RETURN_IF_ERROR(feeder->Finish());
  result.name = name;
  ASSIGN_OR_RETURN(result.index, writer.Finish());
  RETURN_IF_ERROR(out->Sync());
  // Read back what reached the file: the CRC then vouches for the bytes on disk.
  ASSIGN_OR_RETURN(result.crc32, FileCrc(*out));
  result.nodes = validator.nodes();
  result.links = validator.links();
  return result;
}

// Mappings encoded as they were written: validated then, in the same pass.
Result<MappingsResult> SealedMappings(const EncodedMappings& encoded) {
  const std::string name(kMappingsFile);
  RETURN_IF_ERROR(encoded.validation.Annotate(name));
  MappingsResult result;
  result.name = name;
  result.nodes = encoded.nodes;
  result.links = encoded.links;
  result.index = encoded.index;
  result.crc32 = encoded.crc32;
  result.index_builders[0] = encoded.index_builders[0];
  result.index_builders[1] = encoded.index_builders[1];
  return result;
}

// Writes one mapping's index file into staging, synced, and returns its record.
// The commit takes the builder's scratch over from the pending file (if it was
// built as mappings.json was written) for as long as it writes the index.
Result<StoredFile> WriteIndex(Env* env, MappingIndexBuilder& builder, const std::string& path,
                              uint64_t total, const CommitOptions& options) {
  struct Counting {
    MappingIndexBuilder& builder;
    const void* owner;
    ~Counting() { builder.StopCountingScratch(owner); }  // Finish removed the scratch
  } counting{builder, &options};
  RETURN_IF_ERROR(builder.CountScratchWith(CommitScratch(options)));
  ASSIGN_OR_RETURN(std::unique_ptr<File> out, CreateStaged(env, path, options));
  StoredFile stored;
  ASSIGN_OR_RETURN(stored.size, builder.Finish(*out, total));
  RETURN_IF_ERROR(out->Sync());
  stored.crc32 = builder.file_crc32();
  return stored;
}

// Writes nodes.idx and links.idx at once, the second on a thread of its own:
// each build is one core's work (sorting, CRCs, writing). REQUIRES: `options`
// make_room, if any, is safe to call from two threads (StagePendingScope).
Status WriteIndexes(Env* env, const MappingsResult& mappings, const std::string& staging,
                    ScopeRecord& r, const CommitOptions& options) {
  auto write = [&](int s) {
    return WriteIndex(env, *mappings.index_builders[s],
                      Layout::Join(staging, s == 0 ? kNodesIndexFile : kLinksIndexFile),
                      s == 0 ? r.total_nodes : r.total_links, options);
  };
  std::optional<Result<StoredFile>> links;
  std::thread thread;
  try {
    thread = std::thread([&] { links.emplace(write(1)); });
  } catch (const std::system_error&) {
    links.emplace(write(1));  // no thread to be had: one after the other
  }
  Result<StoredFile> nodes = write(0);
  if (thread.joinable()) thread.join();
  RETURN_IF_ERROR(nodes.status());
  RETURN_IF_ERROR(links->status());
  r.nodes_idx = *nodes;
  r.links_idx = **links;
  return Status::Ok();
}

Status CheckBitsSize(Env* env, const std::string& path, const char* file, const char* total_name,
                     uint64_t total) {
  ASSIGN_OR_RETURN(FileInfo info, env->Stat(path));
  uint64_t need = BitsFileSize(total);
  if (info.size != need) {
    return Status::Invalid(std::string(file) + " is " + std::to_string(info.size) + " bytes, " +
                           total_name + "=" + std::to_string(total) + " needs " +
                           std::to_string(need));
  }
  return Status::Ok();
}

Result<ScopeRecord> Assemble(Env* env, const Layout& layout, const std::string& key,
                             const Clock& clock, const CommitOptions& options) {
  const std::string pending = layout.pending_scope_dir(key);
  const std::string staging = layout.staging_scope_dir(key);
  auto in = [&](std::string_view name) { return Layout::Join(pending, name); };
  auto out = [&](std::string_view name) { return Layout::Join(staging, name); };

  ASSIGN_OR_RETURN(std::string missing, MissingPendingFiles(env, layout, key));
  if (!missing.empty()) return Status::NotFound("waiting for: " + missing);

  Result<std::string> meta_text = ReadFileToString(env, in(kMetaFile), kMaxMetaBytes);
  if (meta_text.status().code() == Status::Code::kTooBig) {
    return Status::Invalid("meta.json is larger than " + std::to_string(kMaxMetaBytes) + " bytes");
  }
  RETURN_IF_ERROR(meta_text.status());
  ASSIGN_OR_RETURN(InputMeta meta, ParseInputMeta(*meta_text));

  RETURN_IF_ERROR(RemoveAll(env, staging));  // a leftover of an earlier failed attempt
  RETURN_IF_ERROR(env->MakeDir(staging));

  MappingsResult mappings;
  if (options.encoded_mappings) {
    ASSIGN_OR_RETURN(mappings, SealedMappings(*options.encoded_mappings));
  } else {
    ASSIGN_OR_RETURN(bool gzipped, Exists(env, in(kMappingsGzFile)));
    ASSIGN_OR_RETURN(mappings, EncodeMappings(env, in(gzipped ? kMappingsGzFile : kMappingsFile),
                                              gzipped, out(kMappingsGzFile),
                                              Layout::Join(layout.encoding_dir(), key + ".index"),
                                              meta, options));
  }

  ScopeRecord r;
  r.key = key;
  r.created_ns = options.created_ns.value_or(clock.NowNanos());
  r.total_nodes = meta.total_nodes.value_or(mappings.nodes.entries);
  r.total_links = meta.total_links.value_or(mappings.links.entries);
  // meta.json's totals were checked as it was parsed; these may be the counts.
  RETURN_IF_ERROR(CheckTotalBits("total_nodes", r.total_nodes));
  RETURN_IF_ERROR(CheckTotalBits("total_links", r.total_links));
  r.config_attributes = std::move(meta.config_attributes);
  r.extra = std::move(meta.extra);
  RETURN_IF_ERROR(CheckIndexRange(mappings, r));
  RETURN_IF_ERROR(CheckBitsSize(env, in(kNodesFile), "nodes.bits", "total_nodes", r.total_nodes));
  RETURN_IF_ERROR(CheckBitsSize(env, in(kLinksFile), "links.bits", "total_links", r.total_links));

  ASSIGN_OR_RETURN(r.nodes.crc32, CopyWithCrc(env, in(kNodesFile), out(kNodesFile), options));
  ASSIGN_OR_RETURN(r.links.crc32, CopyWithCrc(env, in(kLinksFile), out(kLinksFile), options));
  r.nodes.size = BitsFileSize(r.total_nodes);
  r.links.size = BitsFileSize(r.total_links);
  r.mappings.size = mappings.index.compressed_size;
  r.mappings.crc32 = mappings.crc32;
  r.mappings_index = std::move(mappings.index);
  if (mappings.index_builders[0] && options.build_index) {
    RETURN_IF_ERROR(WriteIndexes(env, mappings, staging, r, options));
  }

  auto mtime = [&](std::string_view name, int64_t otherwise) {
    auto it = options.mtimes_ns.find(std::string(name));
    return it == options.mtimes_ns.end() ? otherwise : it->second;
  };
  r.nodes.mtime_ns = mtime(kNodesFile, r.created_ns);
  r.links.mtime_ns = mtime(kLinksFile, r.created_ns);
  r.mappings.mtime_ns = mtime(mappings.name, r.created_ns);
  r.meta_mtime_ns = mtime(kMetaFile, r.created_ns);
  // An index copied in keeps its time (though not its bytes), so `rsync -a`
  // run again finds it up to date.
  if (r.nodes_idx) r.nodes_idx->mtime_ns = mtime(kNodesIndexFile, r.mappings.mtime_ns);
  if (r.links_idx) r.links_idx->mtime_ns = mtime(kLinksIndexFile, r.mappings.mtime_ns);

  std::string record = SerializeRecord(r);
  // The record is not counted in stored bytes (nor in max_size): no room asked.
  ASSIGN_OR_RETURN(std::unique_ptr<File> meta_file,
                   env->Open(out(kMetaFile), OpenMode::kCreateExclusive));
  RETURN_IF_ERROR(meta_file->WriteAt(0, record.data(), record.size()));
  RETURN_IF_ERROR(meta_file->Sync());
  if (const std::optional<EncodedMappings>& encoded = options.encoded_mappings) {
    if (encoded->durable.valid()) {  // the fsync begun at the seal
      RETURN_IF_ERROR(encoded->durable.get().Annotate(kMappingsLost));
    }
    // Last, so any failure before it leaves the encoded file with its pending scope.
    RETURN_IF_ERROR(env->Rename(encoded->path, out(kMappingsGzFile), RenameMode::kNoReplace));
    if (Status st = env->SyncDir(staging); !st.ok()) {
      ReclaimEncodedMappings(env, layout, key, *encoded);
      return st;
    }
    return r;
  }
  RETURN_IF_ERROR(env->SyncDir(staging));
  return r;
}

}  // namespace

Result<std::string> MissingPendingFiles(Env* env, const Layout& layout, const std::string& key) {
  const std::string pending = layout.pending_scope_dir(key);
  bool present[5] = {};
  const std::string_view names[5] = {kNodesFile, kLinksFile, kMappingsFile, kMappingsGzFile,
                                     kMetaFile};
  for (int i = 0; i < 5; ++i) {
    ASSIGN_OR_RETURN(present[i], Exists(env, Layout::Join(pending, names[i])));
  }
  const bool plain = present[2], gz = present[3];
  if (plain && gz) {
    return Status::Invalid("both mappings.json and mappings.json.gz are present; remove one");
  }
  std::string missing;
  auto need = [&](bool have, std::string_view name) {
    if (have) return;
    if (!missing.empty()) missing += ", ";
    missing += name;
  };
  need(present[0], kNodesFile);
  need(present[1], kLinksFile);
  need(plain || gz, kMappingsFile);
  need(present[4], kMetaFile);
  return missing;
}

Result<ScopeRecord> StagePendingScope(Env* env, const Layout& layout, const std::string& key,
                                      const Clock& clock, const CommitOptions& options) {
  // The index files are written by two threads at once (WriteIndexes), and
  // an IndexFeeder's thread spills while EncodeMappings runs: they ask for
  // room one at a time.
  Mutex room_mu;
  CommitOptions serialized = options;
  if (options.make_room) {
    serialized.make_room = [&room_mu, &make_room = options.make_room](uint64_t bytes) {
      MutexLock lock(&room_mu);
      make_room(bytes);
    };
  }
  Result<ScopeRecord> record = Assemble(env, layout, key, clock, serialized);
  if (!record.ok()) DiscardStagedScope(env, layout, key);
  return record;
}

void DiscardStagedScope(Env* env, const Layout& layout, const std::string& key) {
  const std::string staging = layout.staging_scope_dir(key);
  if (Status st = RemoveAll(env, staging); !st.ok()) {
    LogWarning("cannot remove " + staging + ": " + st.ToString());
  }
}

Status PublishStagedScope(Env* env, const Layout& layout, const std::string& key) {
  Status st = MoveDirDurably(env, layout.staging_scope_dir(key), layout.scope_dir(key));
  if (st.code() == Status::Code::kExists) st = Status::Exists("scope " + key + " already exists");
  return st;
}

void ReclaimEncodedMappings(Env* env, const Layout& layout, const std::string& key,
                            const EncodedMappings& encoded) {
  const std::string staged = Layout::Join(layout.staging_scope_dir(key), kMappingsGzFile);
  if (Status st = env->Rename(staged, encoded.path, RenameMode::kNoReplace); !st.ok()) {
    LogError("cannot move " + staged + " back to " + encoded.path + ": " + st.ToString());
  }
}

void DiscardPendingFiles(Env* env, const Layout& layout, const std::string& key) {
  const std::string pending = layout.pending_scope_dir(key);
  Status st = RemoveAll(env, pending);
  if (st.ok()) st = env->SyncDir(layout.pending_dir());
  if (!st.ok()) LogWarning("cannot remove " + pending + " after commit: " + st.ToString());
}

}  // namespace scopefs::store
