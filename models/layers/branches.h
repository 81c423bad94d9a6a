// Parallel branches: every child runs on the same input and their outputs are concatenated
// along the channels (the last dimension) in the order the children were added: Inception's
// [1x1 branch, 3x3 branch] and the downsample module's [conv branch, pool branch].
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/module.h"

namespace rethink {

class Branches : public Module {
 public:
  // Children are named as given ("branch1x1"), so their parameters are
  // "<name>.conv.weight" and so on.
  Branches& add(std::string name, std::shared_ptr<Module> branch);
  Tensor forward(const Tensor& x) override;
  std::string_view type_name() const override { return "Branches"; }
  size_t size() const { return branches_.size(); }

 private:
  std::vector<std::string> names_;
  std::vector<std::shared_ptr<Module>> branches_;
};

}  // namespace rethink
