#include "fs/options.h"

#include <algorithm>
#include <cstring>

namespace scopefs::fs {
namespace {

using store::ParseNumber;
using store::Result;
using store::Status;

// Applies one scopefs option; NotFound if `name` is not one of ours.
Status SetOption(Config& c, const std::string& name, const std::string& value) {
  auto need = [&]() -> Status {
    return value.empty() ? Status::Invalid("option " + name + " needs a value") : Status::Ok();
  };
  if (name == "max_size") {
    RETURN_IF_ERROR(need());
    ASSIGN_OR_RETURN(c.max_size, ParseSize(value));
  } else if (name == "max_entries") {
    RETURN_IF_ERROR(need());
    ASSIGN_OR_RETURN(c.max_entries, ParseNumber(value, "max_entries"));
  } else if (name == "ttl") {
    RETURN_IF_ERROR(need());
    ASSIGN_OR_RETURN(c.ttl_s, ParseDuration(value));
  } else if (name == "maintenance_interval") {
    RETURN_IF_ERROR(need());
    ASSIGN_OR_RETURN(c.maintenance_interval_s, ParseDuration(value));
    if (c.maintenance_interval_s == 0) return Status::Invalid("maintenance_interval must be > 0");
  } else if (name == "pending_timeout") {
    RETURN_IF_ERROR(need());
    ASSIGN_OR_RETURN(c.pending_timeout_s, ParseDuration(value));
  } else if (name == "read_ahead_kb") {
    RETURN_IF_ERROR(need());
    ASSIGN_OR_RETURN(c.read_ahead_kb, ParseNumber(value, "read_ahead_kb"));
  } else if (name == "write_group") {
    RETURN_IF_ERROR(need());
    c.write_group = value;
  } else if (name == "index") {
    if (value != "commit" && value != "off") {
      return Status::Invalid("index must be commit or off, not \"" + value + "\"");
    }
    c.build_index = value == "commit";
  } else if (name == "shared") {
    RETURN_IF_ERROR(need());
    RETURN_IF_ERROR(s3::ParseSharedTierUrl(value).status());
    c.shared.url = value;
  } else if (name == "shared_endpoint") {
    RETURN_IF_ERROR(need());
    c.shared.endpoint = value;
  } else if (name == "shared_region") {
    RETURN_IF_ERROR(need());
    c.shared.region = value;
  } else if (name == "shared_credentials") {
    RETURN_IF_ERROR(need());
    c.shared.credentials_file = value;
  } else if (name == "shared_profile") {
    RETURN_IF_ERROR(need());
    c.shared.profile = value;
  } else if (name == "shared_wait") {
    RETURN_IF_ERROR(need());
    ASSIGN_OR_RETURN(c.shared_wait_s, ParseDuration(value));
  } else if (name == "shared_lease") {
    RETURN_IF_ERROR(need());
    ASSIGN_OR_RETURN(c.shared_lease_s, ParseDuration(value));
    if (c.shared_lease_s < kMinSharedLeaseS) {
      return Status::Invalid("shared_lease must be at least " + std::to_string(kMinSharedLeaseS) +
                             "s, not \"" + value + "\"");
    }
  } else if (name == "notify_fd") {
    RETURN_IF_ERROR(need());
    ASSIGN_OR_RETURN(uint64_t fd, ParseNumber(value, "notify_fd"));
    c.notify_fd = static_cast<int>(fd);
  } else {
    return Status::NotFound(name);
  }
  return Status::Ok();
}

// Splits "-o a,b=c" values; ours are applied, the rest kept for libfuse.
Status TakeMountOptions(Config& c, const std::string& list) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string opt = list.substr(start, comma - start);
    start = comma + 1;
    if (opt.empty()) continue;
    size_t eq = opt.find('=');
    std::string name = opt.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : opt.substr(eq + 1);
    Status st = SetOption(c, name, value);
    if (st.code() == Status::Code::kNotFound) {
      if (opt != "defaults") c.fuse_options.push_back(opt);  // fstab's placeholder
    } else {
      RETURN_IF_ERROR(st);
    }
  }
  return Status::Ok();
}

}  // namespace

const char kUsage[] =
    "usage: scopefs [options] STORE_DIR MOUNTPOINT\n"
    "\n"
    "Serves the scope cache in STORE_DIR as a filesystem at MOUNTPOINT.\n"
    "\n"
    "options:\n"
    "  -f                         stay in the foreground (logs on stderr)\n"
    "  -d                         debug: log every FUSE request (implies -f)\n"
    "  -s                         single-threaded\n"
    "  -o OPT[,OPT...]            mount options: the scopefs ones below as NAME=VALUE,\n"
    "                             and FUSE's (allow_other, auto_unmount, ...)\n"
    "  --max-size SIZE            stored bytes allowed (K/M/G/T); default 10G\n"
    "  --max-entries N            committed scopes allowed; default 100\n"
    "  --ttl DURATION             drop scopes not accessed for this long (s/m/h/d,\n"
    "                             0 = never); default 24h\n"
    "  --maintenance-interval D   how often expiry and cleanup run; default 60s\n"
    "  --pending-timeout D        drop pending scopes idle this long; default 1h\n"
    "  --read-ahead-kb N          kernel readahead for the mount; default 1024 (0: keep)\n"
    "  --write-group NAME         members of group NAME may also add, remove and\n"
    "                             rename scopes (default: only root may)\n"
    "  --index commit|off         build nodes.idx and links.idx at each commit, for\n"
    "                             readers that look ids up without parsing; default commit\n"
    "  --shared s3://BUCKET[/PREFIX]  share scopes with other hosts through this bucket:\n"
    "                             publish local commits, read absent keys through\n"
    "  --shared-endpoint URL      an S3 server other than AWS (path-style)\n"
    "  --shared-region R          default us-east-1\n"
    "  --shared-credentials FILE  an AWS credentials file (mode 0600); default: the\n"
    "                             AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables\n"
    "  --shared-profile NAME      its profile; default $AWS_PROFILE, else default\n"
    "  --shared-wait D            how long a lookup waits for the tier; default 10m\n"
    "  --shared-lease D           a mkdir's computation lease lasts this long unless\n"
    "                             renewed (other hosts wait for it); default 2m, >= 3s\n"
    "  --notify-fd N              write one byte to fd N once the mount is live\n"
    "  -h, --help                 this text\n"
    "  -V, --version              the version\n";

Result<Invocation> ParseCommandLine(int argc, const char* const* argv) {
  Invocation inv;
  Config& c = inv.config;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> Result<std::string> {
      if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
        return arg.substr(eq + 1);
      }
      if (i + 1 >= argc) return Status::Invalid("option " + arg + " needs a value");
      return std::string(argv[++i]);
    };
    if (arg == "-h" || arg == "--help") {
      inv.action = Action::kHelp;
      return inv;
    }
    if (arg == "-V" || arg == "--version") {
      inv.action = Action::kVersion;
      return inv;
    }
    if (arg == "-f") {
      c.foreground = true;
    } else if (arg == "-d" || arg == "--debug") {
      c.debug = c.foreground = true;
    } else if (arg == "-s") {
      c.single_thread = true;
    } else if (arg == "-o") {
      ASSIGN_OR_RETURN(std::string list, value());
      RETURN_IF_ERROR(TakeMountOptions(c, list));
    } else if (arg.starts_with("-o") && arg.size() > 2) {
      RETURN_IF_ERROR(TakeMountOptions(c, arg.substr(2)));
    } else if (arg.starts_with("--")) {
      std::string name =
          arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos : arg.find('=') - 2);
      std::replace(name.begin(), name.end(), '-', '_');
      ASSIGN_OR_RETURN(std::string v, value());
      Status st = SetOption(c, name, v);
      if (st.code() == Status::Code::kNotFound) return Status::Invalid("unknown option " + arg);
      RETURN_IF_ERROR(st);
    } else if (arg.starts_with("-") && arg != "-") {
      return Status::Invalid("unknown option " + arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) {
    return Status::Invalid(positional.size() < 2 ? "STORE_DIR and MOUNTPOINT are required"
                                                 : "too many arguments");
  }
  c.store_dir = positional[0];
  c.mountpoint = positional[1];
  return inv;
}

}  // namespace scopefs::fs
