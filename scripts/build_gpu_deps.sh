#!/usr/bin/env bash
# Builds what the GPU machine lacks, here, into .deps/ (git-ignored), for the device runs to carry:
#  - a small static OpenCV (core, imgproc, imgcodecs with JPEG and PNG only) from Debian's own source package:
#    Debian's shared imgcodecs pulls in GDAL (~180 MB), far over what a device call may carry;
#  - pugixml's static library and headers from Debian's package.
# Everything is static (libjpeg, libpng and zlib included) so the binaries need nothing at run time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
deps=$root/.deps
work=$root/third_party_build
mkdir -p "$deps" "$work"

if [ ! -f "$deps/opencv/lib/libopencv_imgcodecs.a" ]; then
  if ! ls -d "$work"/opencv-4.*/ >/dev/null 2>&1; then
    srclist=$work/sources.list
    echo "deb-src http://deb.debian.org/debian bookworm main" > "$srclist"
    apt_opts=(-o "Dir::Etc::SourceList=$srclist" -o "Dir::Etc::SourceParts=-" -o "Dir::State::Lists=$work/lists")
    mkdir -p "$work/lists/partial"
    apt-get "${apt_opts[@]}" update -q
    (cd "$work" && apt-get "${apt_opts[@]}" source --download-only opencv && dpkg-source -x opencv_*.dsc)
  fi
  src=$(ls -d "$work"/opencv-4.*/ | head -1)
  cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$deps/opencv" -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DBUILD_LIST=core,imgproc,imgcodecs -DBUILD_TESTS=OFF -DBUILD_PERF_TESTS=OFF -DBUILD_EXAMPLES=OFF \
    -DBUILD_opencv_apps=OFF -DBUILD_JAVA=OFF -DBUILD_opencv_python3=OFF -DWITH_IPP=OFF -DWITH_ITT=OFF \
    -DWITH_EIGEN=OFF -DWITH_OPENCL=OFF -DWITH_LAPACK=OFF -DWITH_TBB=OFF -DWITH_OPENMP=OFF -DWITH_PTHREADS_PF=ON \
    -DWITH_JPEG=ON -DBUILD_JPEG=OFF -DJPEG_LIBRARY=/usr/lib/x86_64-linux-gnu/libjpeg.a \
    -DWITH_PNG=ON -DBUILD_PNG=OFF -DPNG_LIBRARY=/usr/lib/x86_64-linux-gnu/libpng16.a \
    -DZLIB_LIBRARY=/usr/lib/x86_64-linux-gnu/libz.a -DBUILD_ZLIB=OFF \
    -DWITH_TIFF=OFF -DWITH_WEBP=OFF -DWITH_OPENJPEG=OFF -DWITH_JASPER=OFF -DWITH_OPENEXR=OFF -DWITH_GDAL=OFF \
    -DWITH_GDCM=OFF -DWITH_IMGCODEC_HDR=OFF -DWITH_IMGCODEC_SUNRASTER=OFF -DWITH_IMGCODEC_PXM=OFF \
    -DWITH_IMGCODEC_PFM=OFF -DWITH_AVIF=OFF -DWITH_SPNG=OFF -DWITH_ADE=OFF -DWITH_PROTOBUF=OFF \
    -DWITH_QUIRC=OFF -DWITH_1394=OFF -DWITH_VA=OFF -DWITH_FFMPEG=OFF -DWITH_GSTREAMER=OFF -DWITH_V4L=OFF -DWITH_GTK=OFF -DWITH_QT=OFF -DWITH_VTK=OFF \
    -DOPENCV_GENERATE_PKGCONFIG=OFF
  nice -n 19 cmake --build "$work/build" -j2
  cmake --install "$work/build" >/dev/null
  rm -rf "$deps/opencv/share/opencv4/haarcascades" "$deps/opencv/share/opencv4/lbpcascades"
  # The static config refers to the system static libs by absolute path; bring them along.
  mkdir -p "$deps/opencv/lib/sys"
  cp /usr/lib/x86_64-linux-gnu/libjpeg.a /usr/lib/x86_64-linux-gnu/libpng16.a /usr/lib/x86_64-linux-gnu/libz.a "$deps/opencv/lib/sys/"
  sed -i "s|/usr/lib/x86_64-linux-gnu/lib|\${_IMPORT_PREFIX}/lib/sys/lib|g" "$deps/opencv/lib/cmake/opencv4/OpenCVModules.cmake"
fi

mkdir -p "$deps/pugixml/lib" "$deps/pugixml/include"
cp /usr/lib/x86_64-linux-gnu/libpugixml.a "$deps/pugixml/lib/"
cp /usr/include/pugixml.hpp /usr/include/pugiconfig.hpp "$deps/pugixml/include/"
du -sh "$deps"
