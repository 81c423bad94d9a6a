// Image folders: DIR/train/<class>/*.{jpg,jpeg,png} and DIR/test/<class>/..., classes in sorted
// order of their folder names. Decoding tens of thousands of files takes a while, so the decoded
// pixels are cached in one binary file (datasets/readers/image_cache.h) that later runs load
// instead, for as long as every file's path, size and modification time are unchanged.
#pragma once

#include <filesystem>
#include <string>

#include "datasets/readers/raw.h"

namespace rethink::readers {

struct ImageFolderOptions {
  // Where the cache goes; empty: default_cache_dir(). Never inside the data folder.
  std::filesystem::path cache_dir;
  bool use_cache = true;
};

struct ImageFolderResult {
  RawDataset data;
  bool from_cache = false;
  std::filesystem::path cache_file;  // empty when no cache was read or written
  std::string cache_note;            // why a cache was not used or written, if it was not
};

// Every image must decode and all must have one size (the message names an offending file and
// both sizes). Grayscale images in a color folder are widened to RGB.
ImageFolderResult read_image_folder(const std::filesystem::path& dir,
                                    const ImageFolderOptions& options = {});

// $RETHINK_CACHE_DIR, else $XDG_CACHE_HOME/rethink, else $HOME/.cache/rethink; empty when none
// of these is set.
std::filesystem::path default_cache_dir();

}  // namespace rethink::readers
