# Every dependency is a Debian package, found by name; nothing is downloaded at build time.
# scripts/test and scripts/demo install the missing ones.
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(ZLIB REQUIRED)
# The image-folder reader decodes with libjpeg-turbo (libjpeg62-turbo-dev) and libpng (libpng-dev).
find_package(JPEG REQUIRED)
find_package(PNG REQUIRED)

# The OpenMP build of OpenBLAS, by explicit path: the generic libopenblas.so alternative may be
# the pthread build, and find_package(BLAS) may pick Netlib's slow reference BLAS instead.
set(RETHINK_OPENBLAS_DIR "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp"
    CACHE PATH "Folder holding the OpenMP build of OpenBLAS (libopenblas-openmp-dev)")
set(RETHINK_OPENBLAS_INCLUDE_HINT "/usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp")
find_library(RETHINK_OPENBLAS_LIBRARY NAMES openblas PATHS ${RETHINK_OPENBLAS_DIR}
             NO_DEFAULT_PATH)
find_path(RETHINK_OPENBLAS_INCLUDE_DIR cblas.h PATHS ${RETHINK_OPENBLAS_INCLUDE_HINT}
          NO_DEFAULT_PATH)
if(NOT RETHINK_OPENBLAS_LIBRARY OR NOT RETHINK_OPENBLAS_INCLUDE_DIR)
  message(FATAL_ERROR "The OpenMP build of OpenBLAS was not found under ${RETHINK_OPENBLAS_DIR}: "
                      "apt-get install libopenblas-openmp-dev (scripts/test does this)")
endif()
add_library(rethink_openblas INTERFACE)
target_link_libraries(rethink_openblas INTERFACE ${RETHINK_OPENBLAS_LIBRARY})
target_include_directories(rethink_openblas SYSTEM INTERFACE ${RETHINK_OPENBLAS_INCLUDE_DIR})

find_library(RETHINK_LAPACKE_LIBRARY NAMES lapacke)
find_path(RETHINK_LAPACKE_INCLUDE_DIR lapacke.h)
if(NOT RETHINK_LAPACKE_LIBRARY OR NOT RETHINK_LAPACKE_INCLUDE_DIR)
  message(FATAL_ERROR "LAPACKE was not found: apt-get install liblapacke-dev")
endif()
add_library(rethink_lapacke INTERFACE)
target_link_libraries(rethink_lapacke INTERFACE ${RETHINK_LAPACKE_LIBRARY} rethink_openblas)
target_include_directories(rethink_lapacke SYSTEM INTERFACE ${RETHINK_LAPACKE_INCLUDE_DIR})

# Random123 is header-only (librandom123-dev).
find_path(RETHINK_RANDOM123_INCLUDE_DIR Random123/philox.h)
if(NOT RETHINK_RANDOM123_INCLUDE_DIR)
  message(FATAL_ERROR "Random123 was not found: apt-get install librandom123-dev")
endif()
add_library(rethink_random123 INTERFACE)
target_include_directories(rethink_random123 SYSTEM INTERFACE ${RETHINK_RANDOM123_INCLUDE_DIR})

if(RETHINK_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(RETHINK_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
