// Raw memory behind tensors: 64-byte-aligned host buffers (large ones cached for reuse,
// runtime/host_allocator.h), or device memory on a GPU (from the device's caching allocator,
// runtime/device_allocator.h).
#pragma once

#include <cstddef>

#include "runtime/device.h"
#include "runtime/host_allocator.h"

namespace rethink {

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

// Copies bytes between any two devices, ordered on the devices' streams. A copy to or from
// the host returns once it is done (the host buffer may then be reused); a device-to-device
// copy is queued like a kernel.
void copy_bytes(Device dst_device, void* dst, Device src_device, const void* src, size_t bytes);

// Sets bytes to zero on either device (queued on the device's stream).
void zero_bytes(Device device, void* dst, size_t bytes);

// While on, every new Storage (host or device) is filled with 0xFF bytes, a NaN in float32
// and float64 and -1 in the integers, so that a kernel which leaves an output element
// unwritten fails the test that compares it. Off by default; tests turn it on (PoisonScope).
void set_poison_new_memory(bool on);
bool poison_new_memory();

class PoisonScope {
 public:
  PoisonScope() : previous_(poison_new_memory()) { set_poison_new_memory(true); }
  ~PoisonScope() { set_poison_new_memory(previous_); }
  PoisonScope(const PoisonScope&) = delete;
  PoisonScope& operator=(const PoisonScope&) = delete;

 private:
  bool previous_;
};

}  // namespace rethink
