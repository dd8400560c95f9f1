#include "store/mappings_encoder.h"

#include <chrono>
#include <system_error>

#include "store/crc32.h"
#include "store/gzip_stream.h"
#include "store/log.h"
#include "store/watched_file.h"

namespace scopefs::store {
namespace {
// Per mapping being indexed; beyond it, entries spill to sorted runs.
constexpr size_t kIndexMemory = size_t{16} << 20;
}  // namespace

Result<std::unique_ptr<MappingsEncoder>> MappingsEncoder::Create(
    Env* env, std::string path, const ChunkedGzipOptions& codec, bool build_index,
    std::function<Status(uint64_t bytes)> reserve, ScratchAccount scratch) {
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, env->Open(path, OpenMode::kCreateExclusive));
  // The check runs on the thread that writes members (the caller of Append or
  // Seal), in file order: so it can sum the CRC of the file as it grows.
  auto encoder = std::unique_ptr<MappingsEncoder>(new MappingsEncoder(env, std::move(path)));
  MappingsEncoder* self = encoder.get();
  encoder->file_ = std::make_unique<WatchedFile>(
      std::move(file), [self, reserve = std::move(reserve)](uint64_t, std::string_view data) {
        RETURN_IF_ERROR(reserve(data.size()));
        self->stored_bytes_ += data.size();
        self->crc32_ = Crc32Update(self->crc32_, data);
        return Status::Ok();
      });
  encoder->writer_ = std::make_unique<ChunkedGzipWriter>(encoder->file_.get(), codec);
  if (build_index) {
    for (int s = 0; s < 2; ++s) {
      encoder->sealed_.index_builders[s] = std::make_shared<MappingIndexBuilder>(
          env, encoder->path_ + (s == 0 ? ".nodes" : ".links"), kIndexMemory);
      RETURN_IF_ERROR(encoder->sealed_.index_builders[s]->CountScratchWith(scratch));
    }
    encoder->feeder_ = std::make_unique<IndexFeeder>(encoder->sealed_.index_builders[0].get(),
                                                     encoder->sealed_.index_builders[1].get());
    encoder->validator_.SetEntrySink([self](int section, std::string_view id, uint64_t value) {
      return self->feeder_->Add(section, id, value);
    });
  }
  return encoder;
}

MappingsEncoder::MappingsEncoder(Env* env, std::string path) : env_(env), path_(std::move(path)) {}

MappingsEncoder::~MappingsEncoder() {
  writer_.reset();  // waits for its background tasks before the file goes
  if (sealed_.durable.valid()) sealed_.durable.wait();
  file_.reset();
  // NotFound: a commit moved the file into its scope.
  if (Status st = env_->Unlink(path_); !st.ok() && st.code() != Status::Code::kNotFound) {
    LogWarning("cannot remove " + path_ + ": " + st.ToString());
  }
}

void MappingsEncoder::StopCountingScratch(const void* owner) {
  for (const std::shared_ptr<MappingIndexBuilder>& builder : sealed_.index_builders) {
    if (builder) builder->StopCountingScratch(owner);
  }
}

Status MappingsEncoder::Append(std::string_view data) {
  if (is_sealed_) return Status::Invalid("mappings already sealed for a commit");
  // A validation error is kept for the commit; the bytes are kept regardless,
  // so a writer that then fixes them out of order loses nothing (Decode).
  if (Status st = validator_.Feed(data); !st.ok() && st.code() != Status::Code::kInvalid) {
    return st;  // the index's scratch files failed
  }
  return writer_->Append(data);
}

Result<const EncodedMappings*> MappingsEncoder::Seal() {
  if (!is_sealed_) {
    is_sealed_ = true;
    seal_status_ = [&]() -> Status {
      Result<GzipIndex> index = writer_->Finish();
      // Always, so that the feeder's thread is done with the builders.
      const Status indexed = feeder_ ? feeder_->Finish() : Status::Ok();
      RETURN_IF_ERROR(index.status());
      RETURN_IF_ERROR(indexed);
      sealed_.index = std::move(index).value();
      // The fsync of a few hundred MB then overlaps the index build, not before
      // it. One result for every waiter, kept: a retried commit never publishes
      // a file whose fsync failed once (its pages may since look clean).
      File* file = file_.get();
      try {
        sealed_.durable = std::async(std::launch::async, [file] { return file->Sync(); }).share();
      } catch (const std::system_error&) {  // no thread to be had: sync here
        std::promise<Status> synced;
        synced.set_value(file->Sync());
        sealed_.durable = synced.get_future().share();
      }
      return Status::Ok();
    }();
    sealed_.path = path_;
    sealed_.crc32 = crc32_;
    sealed_.validation = validator_.Finish();
    sealed_.nodes = validator_.nodes();
    sealed_.links = validator_.links();
  }
  RETURN_IF_ERROR(seal_status_);
  if (sealed_.durable.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    RETURN_IF_ERROR(sealed_.durable.get());
  }
  return &sealed_;
}

Status MappingsEncoder::Decode(File& raw) {
  RETURN_IF_ERROR(Seal().status());
  uint64_t offset = 0;
  return InflateGzipStream(*file_, UINT64_MAX, [&](std::string_view piece) {
    RETURN_IF_ERROR(raw.WriteAt(offset, piece.data(), piece.size()));
    offset += piece.size();
    return Status::Ok();
  });
}

}  // namespace scopefs::store
