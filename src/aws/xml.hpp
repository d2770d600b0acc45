// A small element tree over expat, for the XML that S3 answers with. Only what S3 sends:
// elements and their text (no attributes, no mixed content beyond concatenated text).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace insightstream::aws {

struct XmlNode {
    std::string name;  // local name, namespace prefix dropped
    std::string text;  // concatenated character data directly inside this element
    std::vector<std::unique_ptr<XmlNode>> children;

    /// The first child named `name`, or null.
    [[nodiscard]] const XmlNode* Child(std::string_view child) const;
    /// The text of the first child named `name`, or "" when there is none.
    [[nodiscard]] std::string ChildText(std::string_view child) const;
    /// Every child named `name`.
    [[nodiscard]] std::vector<const XmlNode*> Children(std::string_view child) const;
};

/// Parses a whole document; an error names the line and what expat found wrong.
core::Result<std::unique_ptr<XmlNode>> ParseXml(std::string_view text);

/// Escapes &, <, >, " and ' for element text.
std::string XmlEscape(std::string_view text);

}  // namespace insightstream::aws
