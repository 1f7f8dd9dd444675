#include "coffer/core/console/admin_backend.h"

#include <string>
#include <utility>

namespace coffer::core::console {

namespace {

class AdminPrincipal final : public Principal {
 public:
  explicit AdminPrincipal(admin::ConsoleCaller caller) : caller_(std::move(caller)) {}
  std::string DisplayName() const override {
    if (caller_.kind == "session") return caller_.user + " (STS session)";
    if (caller_.kind == "service-account") return caller_.user + " (service account)";
    return caller_.user;
  }
  std::string AccessKey() const override { return caller_.access_key; }
  const admin::ConsoleCaller& caller() const { return caller_; }

 private:
  admin::ConsoleCaller caller_;
};

class AdminBackend final : public Backend {
 public:
  explicit AdminBackend(admin::AdminApi& api) : api_(api) {}

  base::Result<std::shared_ptr<const Principal>> Login(std::string_view access_key,
                                                       const base::Secret& secret,
                                                       std::string_view session_token) override {
    auto caller = api_.Login(access_key, secret, session_token);
    if (!caller) return caller.error();
    return NewAdminPrincipal(std::move(caller).value());
  }

  void ServeAs(const Principal& principal, const HttpRequest& request, BodyReader& body,
               ResponseWriter& response) override {
    // Every principal the console holds was made by Login or NewAdminPrincipal;
    // anything else is refused rather than trusted.
    const auto* admin_principal = dynamic_cast<const AdminPrincipal*>(&principal);
    if (admin_principal == nullptr) {
      (void)response.Start(500, {}, 0);
      (void)response.Finish();
      return;
    }
    api_.ServeAs(admin_principal->caller(), request, body, response);
  }

 private:
  admin::AdminApi& api_;
};

}  // namespace

std::unique_ptr<Backend> NewAdminBackend(admin::AdminApi& api) {
  return std::make_unique<AdminBackend>(api);
}

std::shared_ptr<const Principal> NewAdminPrincipal(admin::ConsoleCaller caller) {
  return std::make_shared<AdminPrincipal>(std::move(caller));
}

}  // namespace coffer::core::console
