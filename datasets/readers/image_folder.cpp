#include "datasets/readers/image_folder.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <optional>

#include "datasets/readers/file_bytes.h"
#include "datasets/readers/image_cache.h"
#include "datasets/readers/image_decode.h"
#include "kernels/error.h"

namespace rethink::readers {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLayout =
    "an imagefolder holds train/<class>/*.jpg|jpeg|png and "
    "test/<class>/...";

struct Entry {
  fs::path path;
  int32_t label = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

std::string lower_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

bool is_image_name(const fs::path& p) {
  const std::string ext = lower_extension(p);
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// Images of a format rethink does not decode: skipping them would load the class partly, so
// they are refused (other files, a README say, are ignored).
bool is_other_image_name(const fs::path& p) {
  static constexpr const char* kOthers[] = {".bmp", ".gif",  ".tif",  ".tiff", ".webp",
                                            ".ppm", ".pgm",  ".pnm",  ".heic", ".heif",
                                            ".avif", ".jxl", ".jp2"};
  const std::string ext = lower_extension(p);
  return std::any_of(std::begin(kOthers), std::end(kOthers),
                     [&](const char* other) { return ext == other; });
}

bool hidden(const fs::path& p) { return p.filename().string().starts_with('.'); }

// Sorted entries of a folder that pass `keep`; filesystem errors become UserErrors naming it.
template <class Keep>
std::vector<fs::path> sorted_children(const fs::path& dir, Keep keep) {
  std::vector<fs::path> out;
  try {
    for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
      if (!hidden(e.path()) && keep(e)) out.push_back(e.path());
    }
  } catch (const fs::filesystem_error& e) {
    throw UserError(fmt::format("{}: cannot list it ({})", dir.string(), e.code().message()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

fs::path split_dir(const fs::path& dir, const char* split) {
  const fs::path p = dir / split;
  std::error_code ec;
  if (!fs::is_directory(p, ec)) {
    throw UserError(fmt::format("{}: missing; {}", p.string(), kLayout));
  }
  return p;
}

void stat_into(Entry& e) {
  struct stat st {};
  if (::stat(e.path.c_str(), &st) != 0) {
    throw UserError(fmt::format("{}: cannot read it", e.path.string()));
  }
  e.size = static_cast<uint64_t>(st.st_size);
  e.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

std::vector<Entry> list_split(const fs::path& split, const std::vector<std::string>& classes) {
  const auto is_dir = [](const fs::directory_entry& e) { return e.is_directory(); };
  std::vector<Entry> entries;
  for (const fs::path& class_dir : sorted_children(split, is_dir)) {
    const std::string name = class_dir.filename().string();
    const auto it = std::find(classes.begin(), classes.end(), name);
    if (it == classes.end()) {
      throw UserError(
          fmt::format("{}: class '{}' has no folder under train/, so it has no label; "
                      "rename or remove it",
                      class_dir.string(), name));
    }
    const auto label = static_cast<int32_t>(it - classes.begin());
    const auto is_image = [](const fs::directory_entry& e) {
      return (is_image_name(e.path()) || is_other_image_name(e.path())) && e.is_regular_file();
    };
    const std::vector<fs::path> files = sorted_children(class_dir, is_image);
    for (const fs::path& f : files) {
      if (is_other_image_name(f)) {
        throw UserError(
            fmt::format("{}: rethink reads .jpg, .jpeg and .png images, not {}; convert it "
                        "(or remove it) so that the class is not loaded partly",
                        f.string(), f.extension().string()));
      }
    }
    if (files.empty()) {
      throw UserError(
          fmt::format("{}: the class folder holds no .jpg, .jpeg or .png images; add "
                      "some or remove the folder",
                      class_dir.string()));
    }
    for (const fs::path& f : files) {
      Entry e{f, label};
      stat_into(e);
      entries.push_back(std::move(e));
    }
  }
  if (entries.empty()) {
    throw UserError(fmt::format("{}: holds no class folders; {}", split.string(), kLayout));
  }
  return entries;
}

uint64_t cache_key(const fs::path& dir, const std::vector<Entry>& train,
                   const std::vector<Entry>& test) {
  Fnv1a h;
  h.add(dir.string());
  for (const std::vector<Entry>* split : {&train, &test}) {
    h.add_u64(split->size());
    for (const Entry& e : *split) {
      h.add(e.path.string());
      h.add_u64(e.size);
      h.add_u64(static_cast<uint64_t>(e.mtime_ns));
      h.add_u64(static_cast<uint64_t>(e.label));
    }
  }
  return h.state;
}

// Decodes every file, in parallel; the error reported is that of the first failing file in
// listing order, so the message does not depend on the thread count.
std::vector<DecodedImage> decode_all(const std::vector<Entry>& entries) {
  std::vector<DecodedImage> images(entries.size());
  std::vector<std::exception_ptr> errors(entries.size());
  const auto n = static_cast<int64_t>(entries.size());
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<size_t>(i);
    try {
      images[k] = decode_image(read_file(entries[k].path), entries[k].path.string());
    } catch (...) {
      errors[k] = std::current_exception();
    }
  }
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return images;
}

// The size every image must have: that of the first training image.
struct Reference {
  int64_t height;
  int64_t width;
  fs::path path;
};

RawSplit assemble(const std::vector<Entry>& entries, const std::vector<DecodedImage>& images,
                  const Reference& first, int64_t channels) {
  RawSplit s;
  s.images = {static_cast<int64_t>(entries.size()), first.height, first.width, channels, {}};
  const auto pixels = static_cast<uint64_t>(first.height * first.width);
  if (pixels * static_cast<uint64_t>(channels) * entries.size() > kMaxFileBytes) {
    throw UserError(fmt::format("{}: {} images of {}x{} are more than rethink holds in memory",
                                entries[0].path.parent_path().parent_path().string(),
                                entries.size(), first.height, first.width));
  }
  s.images.pixels.resize(pixels * static_cast<uint64_t>(channels) * entries.size());
  s.labels.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const DecodedImage& im = images[i];
    if (im.height != first.height || im.width != first.width) {
      throw UserError(
          fmt::format("{}: {}x{} pixels (HxW), but {} is {}x{}: every image of an "
                      "imagefolder must have one size; resize them first",
                      entries[i].path.string(), im.height, im.width, first.path.string(),
                      first.height, first.width));
    }
    uint8_t* out = s.images.pixels.data() + i * pixels * static_cast<uint64_t>(channels);
    if (im.channels == channels) {
      std::copy(im.pixels.begin(), im.pixels.end(), out);
    } else {  // a grayscale image among color ones: replicate its one channel
      for (uint64_t p = 0; p < pixels; ++p) {
        for (int64_t c = 0; c < channels; ++c) out[p * channels + c] = im.pixels[p];
      }
    }
    s.labels.push_back(entries[i].label);
  }
  return s;
}

RawDataset decode_folder(const std::vector<Entry>& train, const std::vector<Entry>& test,
                         std::vector<std::string> classes) {
  std::vector<DecodedImage> train_images = decode_all(train);
  std::vector<DecodedImage> test_images = decode_all(test);
  int64_t channels = 1;
  for (const auto* images : {&train_images, &test_images}) {
    for (const DecodedImage& im : *images) channels = std::max(channels, im.channels);
  }
  const Reference first{train_images[0].height, train_images[0].width, train[0].path};
  RawDataset d;
  d.train = assemble(train, train_images, first, channels);
  train_images = {};
  d.test = assemble(test, test_images, first, channels);
  d.classes = static_cast<int64_t>(classes.size());
  d.class_names = std::move(classes);
  return d;
}

}  // namespace

fs::path default_cache_dir() {
  if (const char* dir = std::getenv("RETHINK_CACHE_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return fs::path(xdg) / "rethink";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return fs::path(home) / ".cache" / "rethink";
  }
  return {};
}

ImageFolderResult read_image_folder(const fs::path& given, const ImageFolderOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(given, ec)) {
    throw UserError(fmt::format("{}: no such folder; {}", given.string(), kLayout));
  }
  const fs::path dir = fs::canonical(given, ec);
  const fs::path train_dir = split_dir(dir, "train");
  const fs::path test_dir = split_dir(dir, "test");
  std::vector<std::string> classes;
  for (const fs::path& p :
       sorted_children(train_dir, [](const fs::directory_entry& e) { return e.is_directory(); })) {
    classes.push_back(p.filename().string());
  }
  if (classes.size() < 2) {
    throw UserError(fmt::format("{}: holds {} class folder{}; a classifier needs at least two ({})",
                                train_dir.string(), classes.empty() ? "no" : "only one",
                                classes.empty() ? "s" : "", kLayout));
  }
  const std::vector<Entry> train = list_split(train_dir, classes);
  const std::vector<Entry> test = list_split(test_dir, classes);

  ImageFolderResult result;
  const uint64_t key = cache_key(dir, train, test);
  const fs::path cache_dir = options.cache_dir.empty() ? default_cache_dir() : options.cache_dir;
  fs::path cache_file;
  if (options.use_cache && !cache_dir.empty()) {
    Fnv1a name;
    name.add(dir.string());
    cache_file = cache_dir / fmt::format("imagefolder-{:016x}.bin", name.state);
    if (cache_file.string().starts_with(dir.string() + "/")) {
      // Never write inside the data folder: it may be read-only or shared.
      result.cache_note = fmt::format("the cache folder {} is inside the data folder; not caching",
                                      cache_dir.string());
      cache_file.clear();
    }
  } else {
    result.cache_note = "caching is off";
  }
  if (!cache_file.empty()) {
    std::string why;
    if (std::optional<RawDataset> cached = read_image_cache(cache_file, key, why)) {
      result.data = std::move(*cached);
      result.from_cache = true;
      result.cache_file = cache_file;
      return result;
    }
    result.cache_note = why;
  }
  result.data = decode_folder(train, test, std::move(classes));
  if (!cache_file.empty()) {
    std::string why;
    if (write_image_cache(cache_file, key, result.data, why)) {
      result.cache_file = cache_file;
    } else {
      result.cache_note = why;
    }
  }
  return result;
}

}  // namespace rethink::readers
