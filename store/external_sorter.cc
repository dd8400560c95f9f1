#include "store/external_sorter.h"

#include <algorithm>
#include <cstring>
#include <queue>

#include "store/log.h"

namespace scopefs::store {
namespace {

constexpr size_t kReadPiece = size_t{1} << 20;  // bytes read from a run at a time

void PutU32(uint32_t v, char* out) { std::memcpy(out, &v, 4); }  // host order: runs are ours
uint32_t GetU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

// Reads one run's records in order, a piece of the file at a time.
class ExternalSorter::RunReader {
 public:
  explicit RunReader(std::unique_ptr<File> file) : file_(std::move(file)) {}

  // The next record, valid until the next call; empty optional at the end.
  Result<bool> Next(std::string_view* record) {
    for (;;) {
      if (buffer_.size() - pos_ >= 4) {
        const uint32_t n = GetU32(buffer_.data() + pos_);
        if (buffer_.size() - pos_ - 4 >= n) {
          *record = std::string_view(buffer_.data() + pos_ + 4, n);
          pos_ += 4 + size_t{n};
          return true;
        }
      }
      buffer_.erase(0, pos_);
      pos_ = 0;
      const size_t have = buffer_.size();
      buffer_.resize(have + kReadPiece);
      ASSIGN_OR_RETURN(size_t got, file_->ReadAt(offset_, buffer_.data() + have, kReadPiece));
      buffer_.resize(have + got);
      offset_ += got;
      if (got == 0) {
        if (!buffer_.empty()) return Status::Corruption("a sort run ends inside a record");
        return false;
      }
    }
  }

 private:
  std::unique_ptr<File> file_;
  std::string buffer_;
  size_t pos_ = 0;
  uint64_t offset_ = 0;
};

ExternalSorter::ExternalSorter(Env* env, std::string scratch_prefix, Less less, size_t memory_bytes)
    : env_(env),
      prefix_(std::move(scratch_prefix)),
      less_(std::move(less)),
      memory_bytes_(memory_bytes) {}

ExternalSorter::~ExternalSorter() {
  for (const std::string& run : runs_) {
    if (Status st = env_->Unlink(run); !st.ok() && st.code() != Status::Code::kNotFound) {
      LogWarning("cannot remove " + run + ": " + st.ToString());
    }
  }
}

Status ExternalSorter::Add(std::string_view record) {
  if (!arena_.empty() && arena_.size() + record.size() > memory_bytes_) RETURN_IF_ERROR(Spill());
  records_.emplace_back(arena_.size(), static_cast<uint32_t>(record.size()));
  arena_.append(record);
  return Status::Ok();
}

std::vector<std::string_view> ExternalSorter::SortedBatch() {
  std::vector<std::string_view> batch;
  batch.reserve(records_.size());
  for (auto [offset, n] : records_) batch.emplace_back(arena_.data() + offset, n);
  std::sort(batch.begin(), batch.end(), less_);
  return batch;
}

Status ExternalSorter::Spill() {
  const std::string path = prefix_ + "." + std::to_string(runs_.size());
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, env_->Open(path, OpenMode::kCreate));
  runs_.push_back(path);
  std::string out;
  uint64_t offset = 0;
  for (std::string_view record : SortedBatch()) {
    char len[4];
    PutU32(static_cast<uint32_t>(record.size()), len);
    out.append(len, 4);
    out.append(record);
    if (out.size() >= kReadPiece) {
      RETURN_IF_ERROR(file->WriteAt(offset, out.data(), out.size()));
      offset += out.size();
      out.clear();
    }
  }
  RETURN_IF_ERROR(file->WriteAt(offset, out.data(), out.size()));
  arena_.clear();
  records_.clear();
  return Status::Ok();
}

Status ExternalSorter::Drain(const std::function<Status(std::string_view)>& out) {
  if (runs_.empty()) {
    for (std::string_view record : SortedBatch()) RETURN_IF_ERROR(out(record));
    return Status::Ok();
  }
  if (!records_.empty()) RETURN_IF_ERROR(Spill());
  arena_.shrink_to_fit();
  std::vector<std::unique_ptr<RunReader>> readers;
  std::vector<std::string_view> heads(runs_.size());
  // A min-heap of run numbers by their head record.
  auto later = [&](size_t a, size_t b) { return less_(heads[b], heads[a]); };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
  for (size_t i = 0; i < runs_.size(); ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<File> file, env_->Open(runs_[i], OpenMode::kRead));
    readers.push_back(std::make_unique<RunReader>(std::move(file)));
    ASSIGN_OR_RETURN(bool has, readers[i]->Next(&heads[i]));
    if (has) heap.push(i);
  }
  while (!heap.empty()) {
    const size_t i = heap.top();
    heap.pop();
    RETURN_IF_ERROR(out(heads[i]));
    ASSIGN_OR_RETURN(bool has, readers[i]->Next(&heads[i]));
    if (has) heap.push(i);
  }
  return Status::Ok();
}

}  // namespace scopefs::store
