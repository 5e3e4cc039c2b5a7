// Precompiled header: the heavy Torch and OpenCV headers almost every Torch-side file includes.
#pragma once
#include <torch/torch.h>
#include <opencv2/core.hpp>
