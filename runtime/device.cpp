#include "runtime/device.h"

#include <fmt/format.h>

#include <charconv>

#include "kernels/check.h"
#include "runtime/gpu.h"

namespace rethink {

std::string Device::to_string() const {
  return is_cpu() ? std::string("cpu") : fmt::format("cuda:{}", index);
}

DeviceRequest parse_device(std::string_view text) {
  if (text == "auto") return {DeviceRequest::Kind::kAuto, 0};
  if (text == "cpu") return {DeviceRequest::Kind::kCpu, 0};
  if (text == "cuda") return {DeviceRequest::Kind::kCuda, 0};
  if (text.starts_with("cuda:")) {
    const std::string_view digits = text.substr(5);
    int index = -1;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (ec == std::errc() && end == digits.data() + digits.size() && index >= 0) {
      return {DeviceRequest::Kind::kCuda, index};
    }
  }
  throw UserError(fmt::format("--device '{}' is not a device: use auto, cpu, cuda or cuda:N", text));
}

ResolvedDevice resolve_device(const DeviceRequest& request) {
  if (request.kind == DeviceRequest::Kind::kCpu) return {Device::cpu(), "requested"};
  const GpuQuery& gpus = query_gpus();
  if (request.kind == DeviceRequest::Kind::kAuto) {
    if (gpus.devices.empty()) {
      return {Device::cpu(), fmt::format("no usable GPU: {}", gpus.why_none)};
    }
    for (const GpuInfo& g : gpus.devices) {
      if (g.unsupported.empty()) {
        return {Device::cuda(g.index), fmt::format("CUDA device {} ({})", g.index, g.name)};
      }
    }
    return {Device::cpu(), fmt::format("no usable GPU: {}", gpus.devices.front().unsupported)};
  }
  if (gpus.devices.empty()) {
    throw UserError(fmt::format("--device cuda:{} asked for a GPU, but there is no usable GPU: {}; "
                                "use --device cpu",
                                request.index, gpus.why_none));
  }
  for (const GpuInfo& g : gpus.devices) {
    if (g.index != request.index) continue;
    if (!g.unsupported.empty())
      throw UserError(fmt::format("--device cuda:{}: {}", g.index, g.unsupported));
    return {Device::cuda(g.index), fmt::format("CUDA device {} ({})", g.index, g.name)};
  }
  throw UserError(fmt::format("--device cuda:{}: there are only {} CUDA device(s) (0..{})",
                              request.index, gpus.devices.size(), gpus.devices.size() - 1));
}

}  // namespace rethink
