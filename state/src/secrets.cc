#include "coffer/state/secrets.h"

#include "coffer/state/seal.h"

namespace coffer::state {

base::Result<base::Secret> StandardSecretResolver::Resolve(const SecretRef& ref) {
  switch (ref.kind) {
    case SecretRef::Kind::kEnv: {
      std::optional<std::string> value =
          sources_.env ? sources_.env(ref.target) : std::optional<std::string>();
      if (!value) return base::NotFound(ref.Text() + " is not set");
      if (value->empty()) return base::NotFound(ref.Text() + " is empty");
      return base::Secret(*std::move(value));
    }
    case SecretRef::Kind::kFile: {
      if (!sources_.read_file) return base::NotFound(ref.Text() + ": file secrets unavailable");
      base::Result<std::string> text = sources_.read_file(ref.target);
      if (!text.has_value()) return base::NotFound(ref.Text() + ": " + text.error().message());
      std::string value = *std::move(text);
      if (!value.empty() && value.back() == '\n') value.pop_back();
      if (!value.empty() && value.back() == '\r') value.pop_back();
      if (value.empty()) return base::NotFound(ref.Text() + " is empty");
      return base::Secret(std::move(value));
    }
    case SecretRef::Kind::kSealed: {
      if (!sources_.seal_private_key || sources_.libctx == nullptr) {
        return base::FailedPrecondition("sealed secret but no appliance seal key is available");
      }
      base::Result<base::Secret> plain =
          Unseal(ref.target, *sources_.seal_private_key, sources_.libctx);
      if (!plain.has_value()) return plain.error();
      return plain;
    }
  }
  return base::Internal("unknown secret reference kind");
}

}  // namespace coffer::state
