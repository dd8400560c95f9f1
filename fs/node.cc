#include "fs/node.h"

namespace scopefs::fs {

Node::Binding Node::Resolve() const {
  std::lock_guard lock(mu_);
  Binding b;
  b.name = name_;
  if (kind_ == NodeKind::kPendingFile) {
    b.pending = pending_;
    b.file = file_;
    return b;
  }
  // A pending directory whose scope was committed now shows the committed scope.
  if (pending_ && pending_->closed()) {
    scope_ = pending_->committed_scope();
    pending_.reset();
  }
  b.draft = draft_;
  b.scope = scope_.lock();
  // A removed scope is gone for names; open handles hold their own reference.
  if (b.scope && b.scope->removed() && kind_ == NodeKind::kScopeDir) b.scope.reset();
  b.pending = pending_;
  return b;
}

void Node::BindScope(std::shared_ptr<store::Scope> scope) {
  std::lock_guard lock(mu_);
  scope_ = std::move(scope);
  pending_.reset();
}

void Node::BindPending(std::shared_ptr<store::PendingScope> pending) {
  std::lock_guard lock(mu_);
  pending_ = std::move(pending);
  scope_.reset();
}

void Node::BindFile(std::shared_ptr<store::PendingScope> pending,
                    std::shared_ptr<store::PendingFile> file) {
  std::lock_guard lock(mu_);
  pending_ = std::move(pending);
  file_ = std::move(file);
}

void Node::MarkUnlinked(std::shared_ptr<store::Scope> ghost) {
  std::lock_guard lock(mu_);
  ghost_ = std::move(ghost);
  unlinked_ = true;
}

std::shared_ptr<store::Scope> Node::ghost() const {
  std::lock_guard lock(mu_);
  return ghost_;
}

void Node::DropGhost() {
  std::lock_guard lock(mu_);
  ghost_.reset();
}

void Node::BindDraft(std::shared_ptr<store::Scope> scope, std::shared_ptr<MetaDraft> draft) {
  std::lock_guard lock(mu_);
  scope_ = std::move(scope);
  draft_ = std::move(draft);
}

void Node::SetName(std::string name) {
  std::lock_guard lock(mu_);
  name_ = std::move(name);
}

std::string Node::name() const {
  std::lock_guard lock(mu_);
  return name_;
}

}  // namespace scopefs::fs
