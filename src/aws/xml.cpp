#include "aws/xml.hpp"

#include <expat.h>

namespace insightstream::aws {

const XmlNode* XmlNode::Child(std::string_view child) const {
    for (const auto& c : children) {
        if (c->name == child) return c.get();
    }
    return nullptr;
}

std::string XmlNode::ChildText(std::string_view child) const {
    const XmlNode* c = Child(child);
    return c ? c->text : std::string();
}

std::vector<const XmlNode*> XmlNode::Children(std::string_view child) const {
    std::vector<const XmlNode*> out;
    for (const auto& c : children) {
        if (c->name == child) out.push_back(c.get());
    }
    return out;
}

namespace {

struct Builder {
    std::unique_ptr<XmlNode> root;
    std::vector<XmlNode*> open;
    size_t depth_limit = 64;
    bool too_deep = false;
};

void OnStart(void* data, const XML_Char* name, const XML_Char** /*attrs*/) {
    auto* b = static_cast<Builder*>(data);
    std::string_view n(name);
    // With namespace processing on, expat reports "uri|local".
    if (auto bar = n.rfind('|'); bar != std::string_view::npos) n = n.substr(bar + 1);
    auto node = std::make_unique<XmlNode>();
    node->name = std::string(n);
    XmlNode* raw = node.get();
    if (b->open.size() >= b->depth_limit) {
        b->too_deep = true;
        return;
    }
    if (b->open.empty()) {
        b->root = std::move(node);
    } else {
        b->open.back()->children.push_back(std::move(node));
    }
    b->open.push_back(raw);
}

void OnEnd(void* data, const XML_Char* /*name*/) {
    auto* b = static_cast<Builder*>(data);
    if (!b->open.empty() && !b->too_deep) b->open.pop_back();
}

void OnText(void* data, const XML_Char* s, int len) {
    auto* b = static_cast<Builder*>(data);
    if (!b->open.empty()) b->open.back()->text.append(s, static_cast<size_t>(len));
}

}  // namespace

core::Result<std::unique_ptr<XmlNode>> ParseXml(std::string_view text) {
    XML_Parser parser = XML_ParserCreateNS(nullptr, '|');
    if (!parser) return core::Error::Internal("expat: out of memory");
    Builder b;
    XML_SetUserData(parser, &b);
    XML_SetElementHandler(parser, OnStart, OnEnd);
    XML_SetCharacterDataHandler(parser, OnText);
    auto status = XML_Parse(parser, text.data(), static_cast<int>(text.size()), XML_TRUE);
    std::string problem;
    if (status != XML_STATUS_OK) {
        problem = std::string("XML line ") + std::to_string(XML_GetCurrentLineNumber(parser)) + ": " +
                  XML_ErrorString(XML_GetErrorCode(parser));
    }
    XML_ParserFree(parser);
    if (!problem.empty()) return core::Error::Internal(problem);
    if (b.too_deep) return core::Error::Internal("XML nested too deeply");
    if (!b.root) return core::Error::Internal("XML without a root element");
    return std::move(b.root);
}

std::string XmlEscape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out.push_back(c);
        }
    }
    return out;
}

}  // namespace insightstream::aws
