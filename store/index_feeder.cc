#include "store/index_feeder.h"

#include <memory>
#include <utility>

namespace scopefs::store {
namespace {

// A batch is a few hundred microseconds of the worker's time: the hand-over
// (a lock and a wake-up) is noise beside it, and what waits stays small
// (a few MiB at most).
constexpr size_t kBatchBytes = size_t{256} << 10;  // of ids
constexpr size_t kBatchEntries = 8192;
constexpr size_t kMaxQueued = 4;  // batches waiting for the worker

}  // namespace

IndexFeeder::IndexFeeder(MappingIndexBuilder* nodes, MappingIndexBuilder* links)
    : builders_{nodes, links}, filling_(EmptyBatch()), worker_(kMaxQueued) {}

IndexFeeder::Batch IndexFeeder::EmptyBatch() {
  Batch batch;
  batch.ids.reserve(kBatchBytes);
  batch.entries.reserve(kBatchEntries);
  return batch;
}

Status IndexFeeder::Add(int section, std::string_view id, uint64_t value) {
  if (id.size() > UINT32_MAX) return Status::Invalid("an id of 4 GiB or more");
  filling_.ids.append(id);
  filling_.entries.push_back(
      {value, static_cast<uint32_t>(id.size()), static_cast<uint8_t>(section)});
  if (filling_.ids.size() < kBatchBytes && filling_.entries.size() < kBatchEntries) {
    return Status::Ok();
  }
  return Submit();
}

Status IndexFeeder::Finish() {
  const Status submitted = filling_.entries.empty() ? Status::Ok() : Submit();
  const Status finished = worker_.Finish();
  return submitted.ok() ? finished : submitted;
}

Status IndexFeeder::Submit() {
  auto batch = std::make_shared<Batch>(std::exchange(filling_, EmptyBatch()));
  return worker_.Submit([this, batch]() -> Status {
    size_t at = 0;
    for (const Entry& e : batch->entries) {
      RETURN_IF_ERROR(
          builders_[e.section]->Add(std::string_view(batch->ids).substr(at, e.length), e.value));
      at += e.length;
    }
    return Status::Ok();
  });
}

}  // namespace scopefs::store
