// Raw memory behind tensors: 64-byte-aligned host buffers, or device memory on a GPU.
#pragma once

#include <cstddef>

#include "runtime/device.h"

namespace rethink {

inline constexpr size_t kHostAlignment = 64;

// One allocation, freed with it. Out-of-memory throws rethink::Error with the size asked for.
class Storage {
 public:
  Storage(Device device, size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  Device device_;
  size_t bytes_ = 0;
  void* data_ = nullptr;
};

// Copies bytes between any two devices (host-device copies synchronize).
void copy_bytes(Device dst_device, void* dst, Device src_device, const void* src, size_t bytes);

// Sets bytes to zero on either device.
void zero_bytes(Device device, void* dst, size_t bytes);

}  // namespace rethink
