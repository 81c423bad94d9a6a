// Where a tensor lives and where an op runs: the CPU or one CUDA device.
#pragma once

#include <string>
#include <string_view>

namespace rethink {

enum class DeviceKind { kCpu, kCuda };

struct Device {
  DeviceKind kind = DeviceKind::kCpu;
  int index = 0;  // CUDA device ordinal; 0 on the CPU

  static Device cpu() { return {}; }
  static Device cuda(int index = 0) { return {DeviceKind::kCuda, index}; }
  bool is_cpu() const { return kind == DeviceKind::kCpu; }
  bool is_cuda() const { return kind == DeviceKind::kCuda; }
  std::string to_string() const;  // "cpu", "cuda:0"
  bool operator==(const Device&) const = default;
};

// What a run asked for (--device): auto, cpu, cuda or cuda:N.
struct DeviceRequest {
  enum class Kind { kAuto, kCpu, kCuda } kind = Kind::kAuto;
  int index = 0;
};

// Parses --device; throws UserError naming the value and the accepted forms.
DeviceRequest parse_device(std::string_view text);

struct ResolvedDevice {
  Device device;
  std::string reason;  // why this device: "CUDA device 0 (NVIDIA H100)" or why not the GPU
};

// auto: a usable GPU, else the CPU (the reason says why no GPU). An explicit cuda request
// without a usable GPU throws UserError naming the cause.
ResolvedDevice resolve_device(const DeviceRequest& request);

}  // namespace rethink
