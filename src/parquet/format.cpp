#include "parquet/format.hpp"

#include "parquet/thrift_compact.hpp"

namespace insightstream::parquet {

using core::Error;
using core::Result;

namespace {

constexpr int32_t kOptional = 1;  // FieldRepetitionType.OPTIONAL

Error Malformed(const std::string& what) {
    return Error::Internal("the Parquet file is malformed: " + what).WithSlug("snapshot-unreadable");
}

void WriteStatistics(CompactWriter& w, const Statistics& s) {
    w.FieldI64(3, s.null_count);
    if (s.max_value) w.FieldBinary(5, *s.max_value);
    if (s.min_value) w.FieldBinary(6, *s.min_value);
}

void WriteSchemaColumn(CompactWriter& w, const SchemaColumn& c) {
    w.FieldI32(1, static_cast<int32_t>(c.physical));
    if (c.physical == PhysicalType::kFixedLenByteArray) w.FieldI32(2, c.type_length);
    w.FieldI32(3, kOptional);
    w.FieldBinary(4, c.name);
    switch (c.kind) {
        case LogicalKind::kString:
            w.FieldI32(6, static_cast<int32_t>(ConvertedType::kUtf8));
            w.FieldStruct(10);
            w.FieldStruct(1);  // StringType
            w.EndStruct();
            w.EndStruct();
            break;
        case LogicalKind::kDecimal:
            w.FieldI32(6, static_cast<int32_t>(ConvertedType::kDecimal));
            w.FieldI32(7, c.scale);
            w.FieldI32(8, c.precision);
            w.FieldStruct(10);
            w.FieldStruct(5);  // DecimalType
            w.FieldI32(1, c.scale);
            w.FieldI32(2, c.precision);
            w.EndStruct();
            w.EndStruct();
            break;
        case LogicalKind::kDate:
            w.FieldI32(6, static_cast<int32_t>(ConvertedType::kDate));
            w.FieldStruct(10);
            w.FieldStruct(6);  // DateType
            w.EndStruct();
            w.EndStruct();
            break;
        case LogicalKind::kTimestampMillis:
            w.FieldI32(6, static_cast<int32_t>(ConvertedType::kTimestampMillis));
            w.FieldStruct(10);
            w.FieldStruct(8);  // TimestampType
            w.FieldBool(1, true);  // isAdjustedToUTC
            w.FieldStruct(2);      // unit
            w.FieldStruct(1);      // MILLIS
            w.EndStruct();
            w.EndStruct();
            w.EndStruct();
            w.EndStruct();
            break;
        case LogicalKind::kInt64:
        case LogicalKind::kDouble:
        case LogicalKind::kBoolean: break;
    }
}

void WriteColumnChunk(CompactWriter& w, const ColumnChunkMeta& c) {
    w.FieldI64(2, c.dictionary_page_offset.value_or(c.data_page_offset));
    w.FieldStruct(3);
    w.FieldI32(1, static_cast<int32_t>(c.type));
    w.FieldList(2, TType::kI32, c.encodings.size());
    for (auto e : c.encodings) w.I32(static_cast<int32_t>(e));
    w.FieldList(3, TType::kBinary, 1);
    w.Binary(c.path);
    w.FieldI32(4, static_cast<int32_t>(c.codec));
    w.FieldI64(5, c.num_values);
    w.FieldI64(6, c.total_uncompressed_size);
    w.FieldI64(7, c.total_compressed_size);
    w.FieldI64(9, c.data_page_offset);
    if (c.dictionary_page_offset) w.FieldI64(11, *c.dictionary_page_offset);
    w.FieldStruct(12);
    WriteStatistics(w, c.statistics);
    w.EndStruct();
    w.EndStruct();
}

}  // namespace

SchemaColumn MakeColumn(std::string name, LogicalKind kind, int32_t scale, bool wide_decimal) {
    SchemaColumn c;
    c.name = std::move(name);
    c.kind = kind;
    switch (kind) {
        case LogicalKind::kString: c.physical = PhysicalType::kByteArray; break;
        case LogicalKind::kInt64:
        case LogicalKind::kTimestampMillis: c.physical = PhysicalType::kInt64; break;
        case LogicalKind::kDouble: c.physical = PhysicalType::kDouble; break;
        case LogicalKind::kBoolean: c.physical = PhysicalType::kBoolean; break;
        case LogicalKind::kDate: c.physical = PhysicalType::kInt32; break;
        case LogicalKind::kDecimal:
            c.scale = scale;
            if (wide_decimal) {
                c.physical = PhysicalType::kFixedLenByteArray;
                c.type_length = 16;
                c.precision = 38;
            } else {
                c.physical = PhysicalType::kInt64;
                c.precision = 18;
            }
            break;
    }
    return c;
}

std::string SerializeFileMeta(const FileMeta& meta) {
    std::string out;
    CompactWriter w(&out);
    w.BeginStruct();
    w.FieldI32(1, 1);
    w.FieldList(2, TType::kStruct, meta.columns.size() + 1);
    w.BeginStruct();
    w.FieldBinary(4, "schema");
    w.FieldI32(5, static_cast<int32_t>(meta.columns.size()));
    w.EndStruct();
    for (const auto& c : meta.columns) {
        w.BeginStruct();
        WriteSchemaColumn(w, c);
        w.EndStruct();
    }
    w.FieldI64(3, meta.num_rows);
    w.FieldList(4, TType::kStruct, meta.row_groups.size());
    for (const auto& rg : meta.row_groups) {
        w.BeginStruct();
        w.FieldList(1, TType::kStruct, rg.columns.size());
        for (const auto& c : rg.columns) {
            w.BeginStruct();
            WriteColumnChunk(w, c);
            w.EndStruct();
        }
        w.FieldI64(2, rg.total_byte_size);
        w.FieldI64(3, rg.num_rows);
        w.FieldI64(5, rg.file_offset);
        w.FieldI64(6, rg.total_compressed_size);
        w.EndStruct();
    }
    if (!meta.key_values.empty()) {
        w.FieldList(5, TType::kStruct, meta.key_values.size());
        for (const auto& [k, v] : meta.key_values) {
            w.BeginStruct();
            w.FieldBinary(1, k);
            w.FieldBinary(2, v);
            w.EndStruct();
        }
    }
    w.FieldBinary(6, meta.created_by);
    // TypeDefinedOrder for every column: readers may trust min_value/max_value.
    w.FieldList(7, TType::kStruct, meta.columns.size());
    for (size_t i = 0; i < meta.columns.size(); ++i) {
        w.BeginStruct();
        w.FieldStruct(1);
        w.EndStruct();
        w.EndStruct();
    }
    w.EndStruct();
    return out;
}

namespace {

struct ParsedSchemaElement {
    std::optional<int32_t> type, type_length, converted, scale, precision, num_children;
    std::string name;
    bool decimal_logical = false, date_logical = false, timestamp_logical = false, string_logical = false;
    int32_t logical_scale = 0, logical_precision = 0;
};

void ParseLogical(CompactReader& r, ParsedSchemaElement& e) {
    r.ReadStruct([&](int16_t id, TType t) {
        if (id == 5 && t == TType::kStruct) {
            e.decimal_logical = true;
            r.ReadStruct([&](int16_t fid, TType ft) {
                if (fid == 1 && ft == TType::kI32) e.logical_scale = r.I32();
                else if (fid == 2 && ft == TType::kI32) e.logical_precision = r.I32();
                else r.Skip(ft);
            });
            return;
        }
        if (id == 1) e.string_logical = true;
        if (id == 6) e.date_logical = true;
        if (id == 8) e.timestamp_logical = true;
        r.Skip(t);
    });
}

ParsedSchemaElement ParseSchemaElement(CompactReader& r) {
    ParsedSchemaElement e;
    r.ReadStruct([&](int16_t id, TType t) {
        switch (id) {
            case 1: e.type = r.I32(); break;
            case 2: e.type_length = r.I32(); break;
            case 4: e.name = std::string(r.Binary()); break;
            case 5: e.num_children = r.I32(); break;
            case 6: e.converted = r.I32(); break;
            case 7: e.scale = r.I32(); break;
            case 8: e.precision = r.I32(); break;
            case 10: ParseLogical(r, e); break;
            default: r.Skip(t); break;
        }
    });
    return e;
}

Result<SchemaColumn> ToColumn(const ParsedSchemaElement& e) {
    if (!e.type) return Malformed("column " + e.name + " has no type");
    SchemaColumn c;
    c.name = e.name;
    c.physical = static_cast<PhysicalType>(*e.type);
    c.type_length = e.type_length.value_or(0);
    const bool decimal = e.decimal_logical || e.converted == static_cast<int32_t>(ConvertedType::kDecimal);
    if (decimal) {
        c.kind = LogicalKind::kDecimal;
        c.scale = e.decimal_logical ? e.logical_scale : e.scale.value_or(0);
        c.precision = e.decimal_logical ? e.logical_precision : e.precision.value_or(0);
        // The scales the engine writes (exact to 10^-9) and precisions a 16-byte value holds.
        if (c.scale < 0 || c.scale > 9 || c.precision < 1 || c.precision > 38) {
            return Malformed("column " + e.name + " has a decimal scale or precision this reader does not read");
        }
        if (c.physical == PhysicalType::kInt64 || (c.physical == PhysicalType::kFixedLenByteArray && c.type_length == 16)) {
            return c;
        }
    } else {
        switch (c.physical) {
            case PhysicalType::kByteArray: c.kind = LogicalKind::kString; return c;
            case PhysicalType::kBoolean: c.kind = LogicalKind::kBoolean; return c;
            case PhysicalType::kDouble: c.kind = LogicalKind::kDouble; return c;
            case PhysicalType::kInt32:
                if (e.date_logical || e.converted == static_cast<int32_t>(ConvertedType::kDate)) {
                    c.kind = LogicalKind::kDate;
                    return c;
                }
                break;
            case PhysicalType::kInt64:
                c.kind = e.timestamp_logical || e.converted == static_cast<int32_t>(ConvertedType::kTimestampMillis)
                             ? LogicalKind::kTimestampMillis
                             : LogicalKind::kInt64;
                return c;
            default: break;
        }
    }
    return Malformed("column " + e.name + " has a type this reader does not read");
}

Statistics ParseStatistics(CompactReader& r) {
    Statistics s;
    r.ReadStruct([&](int16_t id, TType t) {
        if (id == 3 && t == TType::kI64) s.null_count = r.I64();
        else if (id == 5 && t == TType::kBinary) s.max_value = std::string(r.Binary());
        else if (id == 6 && t == TType::kBinary) s.min_value = std::string(r.Binary());
        else r.Skip(t);
    });
    return s;
}

ColumnChunkMeta ParseColumnMeta(CompactReader& r) {
    ColumnChunkMeta c;
    r.ReadStruct([&](int16_t id, TType t) {
        switch (id) {
            case 1: c.type = static_cast<PhysicalType>(r.I32()); break;
            case 2: r.ReadList([&](size_t) { c.encodings.push_back(static_cast<Encoding>(r.I32())); }); break;
            case 3:
                r.ReadList([&](size_t i) {
                    if (i > 0) c.path += '.';
                    c.path += r.Binary();
                });
                break;
            case 4: c.codec = static_cast<Codec>(r.I32()); break;
            case 5: c.num_values = r.I64(); break;
            case 6: c.total_uncompressed_size = r.I64(); break;
            case 7: c.total_compressed_size = r.I64(); break;
            case 9: c.data_page_offset = r.I64(); break;
            case 11: c.dictionary_page_offset = r.I64(); break;
            case 12: c.statistics = ParseStatistics(r); break;
            default: r.Skip(t); break;
        }
    });
    return c;
}

RowGroupMeta ParseRowGroup(CompactReader& r) {
    RowGroupMeta rg;
    r.ReadStruct([&](int16_t id, TType t) {
        switch (id) {
            case 1:
                if (t != TType::kList) {
                    r.Skip(t);
                    break;
                }
                r.ReadList([&](size_t) {
                    ColumnChunkMeta c;
                    r.ReadStruct([&](int16_t cid, TType ct) {
                        if (cid == 3 && ct == TType::kStruct) c = ParseColumnMeta(r);
                        else r.Skip(ct);
                    });
                    rg.columns.push_back(std::move(c));
                });
                break;
            case 2: rg.total_byte_size = r.I64(); break;
            case 3: rg.num_rows = r.I64(); break;
            case 5: rg.file_offset = r.I64(); break;
            case 6: rg.total_compressed_size = r.I64(); break;
            default: r.Skip(t); break;
        }
    });
    return rg;
}

}  // namespace

Result<FileMeta> ParseFileMeta(std::string_view bytes) {
    CompactReader r(bytes);
    FileMeta meta;
    std::vector<ParsedSchemaElement> elements;
    r.ReadStruct([&](int16_t id, TType t) {
        switch (id) {
            case 2: r.ReadList([&](size_t) { elements.push_back(ParseSchemaElement(r)); }); break;
            case 3: meta.num_rows = r.I64(); break;
            case 4: r.ReadList([&](size_t) { meta.row_groups.push_back(ParseRowGroup(r)); }); break;
            case 5:
                r.ReadList([&](size_t) {
                    std::string k, v;
                    r.ReadStruct([&](int16_t kid, TType kt) {
                        if (kid == 1 && kt == TType::kBinary) k = r.Binary();
                        else if (kid == 2 && kt == TType::kBinary) v = r.Binary();
                        else r.Skip(kt);
                    });
                    meta.key_values.emplace_back(std::move(k), std::move(v));
                });
                break;
            case 6: meta.created_by = r.Binary(); break;
            default: r.Skip(t); break;
        }
    });
    if (!r.ok()) return Malformed("the footer could not be decoded");
    if (elements.empty() || elements[0].num_children.value_or(-1) != static_cast<int32_t>(elements.size() - 1)) {
        return Malformed("only flat schemas are read");
    }
    for (size_t i = 1; i < elements.size(); ++i) {
        if (elements[i].num_children.value_or(0) != 0) return Malformed("only flat schemas are read");
        IS_TRY(auto c, ToColumn(elements[i]));
        meta.columns.push_back(std::move(c));
    }
    for (const auto& rg : meta.row_groups) {
        if (rg.columns.size() != meta.columns.size()) return Malformed("a row group does not have every column");
        for (size_t c = 0; c < rg.columns.size(); ++c) {
            if (rg.columns[c].type != meta.columns[c].physical) return Malformed("a column chunk's type differs from the schema");
        }
    }
    return meta;
}

std::string SerializePageHeader(const PageHeader& h) {
    std::string out;
    CompactWriter w(&out);
    w.BeginStruct();
    w.FieldI32(1, static_cast<int32_t>(h.type));
    w.FieldI32(2, h.uncompressed_size);
    w.FieldI32(3, h.compressed_size);
    if (h.type == PageType::kDataPage) {
        w.FieldStruct(5);
        w.FieldI32(1, h.num_values);
        w.FieldI32(2, static_cast<int32_t>(h.encoding));
        w.FieldI32(3, static_cast<int32_t>(Encoding::kRle));
        w.FieldI32(4, static_cast<int32_t>(Encoding::kRle));
        w.EndStruct();
    } else {
        w.FieldStruct(7);
        w.FieldI32(1, h.num_values);
        w.FieldI32(2, static_cast<int32_t>(h.encoding));
        w.EndStruct();
    }
    w.EndStruct();
    return out;
}

Result<PageHeader> ParsePageHeader(std::string_view bytes, size_t* size) {
    CompactReader r(bytes);
    PageHeader h;
    bool have_values = false;
    r.ReadStruct([&](int16_t id, TType t) {
        if (id == 1) h.type = static_cast<PageType>(r.I32());
        else if (id == 2) h.uncompressed_size = r.I32();
        else if (id == 3) h.compressed_size = r.I32();
        else if ((id == 5 || id == 7) && t == TType::kStruct) {
            // DataPageHeader or DictionaryPageHeader: both begin with num_values and encoding.
            r.ReadStruct([&](int16_t fid, TType ft) {
                if (fid == 1 && ft == TType::kI32) {
                    h.num_values = r.I32();
                    have_values = true;
                } else if (fid == 2 && ft == TType::kI32) {
                    h.encoding = static_cast<Encoding>(r.I32());
                } else {
                    r.Skip(ft);
                }
            });
        } else {
            r.Skip(t);
        }
    });
    if (!r.ok() || !have_values || h.uncompressed_size < 0 || h.compressed_size < 0 || h.num_values < 0) {
        return Malformed("a page header could not be decoded");
    }
    *size = r.offset();
    return h;
}

}  // namespace insightstream::parquet
