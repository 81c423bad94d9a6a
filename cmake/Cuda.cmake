# RETHINK_CUDA=AUTO|ON|OFF. AUTO builds the CUDA backend when nvcc is found.
set(RETHINK_CUDA AUTO CACHE STRING "Build the CUDA backend: AUTO (when nvcc is found), ON or OFF")
set_property(CACHE RETHINK_CUDA PROPERTY STRINGS AUTO ON OFF)
string(TOUPPER "${RETHINK_CUDA}" _rethink_cuda)
if(NOT _rethink_cuda MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "RETHINK_CUDA must be AUTO, ON or OFF, not '${RETHINK_CUDA}'")
endif()

set(RETHINK_WITH_CUDA OFF)
if(NOT _rethink_cuda STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # Must precede enable_language(CUDA): afterwards nvcc's own default (75) is already set.
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES "80;90" CACHE STRING "CUDA architectures to compile for")
    endif()
    # One runtime, linked statically: binaries then need only cuBLAS and cuDNN on a GPU host.
    set(CMAKE_CUDA_RUNTIME_LIBRARY Static)
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    # CMake 3.25 does not know nvcc's C++20 switch (it would compile .cu files as C++17, or
    # refuse the CXX_STANDARD 20 that CUDA targets inherit): teach it.
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA_STANDARD 20)
    set(RETHINK_WITH_CUDA ON)
  elseif(_rethink_cuda STREQUAL "ON")
    message(FATAL_ERROR "RETHINK_CUDA=ON but no CUDA compiler was found: put nvcc on PATH "
                        "(or set CMAKE_CUDA_COMPILER), or configure with -DRETHINK_CUDA=OFF")
  else()
    message(STATUS "nvcc not found: building the CPU backend only")
  endif()
endif()

if(RETHINK_WITH_CUDA)
  # CMake 3.25 has no imported target for cuDNN; it ships inside the CUDA toolkit here.
  find_library(RETHINK_CUDNN_LIBRARY NAMES cudnn HINTS ${CUDAToolkit_LIBRARY_DIR} REQUIRED)
  find_path(RETHINK_CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS} REQUIRED)
  add_library(rethink_cudnn INTERFACE)
  target_link_libraries(rethink_cudnn INTERFACE ${RETHINK_CUDNN_LIBRARY})
  target_include_directories(rethink_cudnn SYSTEM INTERFACE ${RETHINK_CUDNN_INCLUDE_DIR})
endif()
