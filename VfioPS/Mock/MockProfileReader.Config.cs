using System;
using System.Globalization;
using System.Text.Json;

namespace VfioPS.Mock;

// The "config" and "deviceModel" keys of a mock profile: what region I/O answers.
public static partial class MockProfileReader
{
    /// <summary>Register models the mock implements, by the name a profile gives in "deviceModel".</summary>
    public static readonly string[] DeviceModels = { "edu" };

    private sealed partial class ProfileParser
    {
        /// <summary>
        /// $.config: { size: 256 or 4096, bytes: [lines], writable: [lines] }. A line is "OOOO: hex bytes" (bytes from
        /// offset OOOO) or "OOOO-EEEE: hh" (every byte from OOOO to EEEE inclusive is hh); bytes no line names are 0.
        /// </summary>
        private MockConfigImage? ConfigImage(JsonElement root)
        {
            if (!root.TryGetProperty("config", out var config)) return null;
            const string path = "$.config";
            RequireObject(config, path, "size", "bytes", "writable", "comment");
            uint size = UInt(Required(config, path, "size"), path + ".size");
            if (size is not (256 or 4096)) throw Invalid(path + ".size", $"is {size}; PCI config space has 256 bytes (conventional) or 4096 (PCI Express)");
            byte[] bytes = Lines(Required(config, path, "bytes"), path + ".bytes", (int)size);
            byte[] writable = config.TryGetProperty("writable", out var w) ? Lines(w, path + ".writable", (int)size) : new byte[size];
            return new MockConfigImage(bytes, writable);
        }

        private string? DeviceModelName(JsonElement root)
        {
            if (!root.TryGetProperty("deviceModel", out var model)) return null;
            string name = String(model, "$.deviceModel");
            if (Array.IndexOf(DeviceModels, name) < 0)
                throw Invalid("$.deviceModel", $"'{name}' is not a register model the mock has (known: {string.Join(", ", DeviceModels)})");
            return name;
        }

        private byte[] Lines(JsonElement element, string path, int size)
        {
            if (element.ValueKind != JsonValueKind.Array) throw Invalid(path, "must be an array of lines (\"OOOO: hex\" or \"OOOO-EEEE: hh\")");
            var space = new byte[size];
            var written = new bool[size];
            int i = 0;
            foreach (var item in element.EnumerateArray())
            {
                string linePath = $"{path}[{i++}]";
                string line = String(item, linePath);
                int colon = line.IndexOf(':');
                if (colon < 0) throw Invalid(linePath, $"'{line}' has no ':' between the offset and the bytes");
                string where = line.Substring(0, colon).Trim();
                string[] range = where.Split('-');
                if (range.Length > 2 || !int.TryParse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int start)
                    || (range.Length == 2 && !int.TryParse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out _)))
                    throw Invalid(linePath, $"'{where}' is not a hex offset or a hex range OOOO-EEEE");
                byte[] data = HexText(line.Substring(colon + 1), linePath);
                int end;
                if (range.Length == 2)
                {
                    end = int.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    if (data.Length != 1) throw Invalid(linePath, "a range line takes exactly one fill byte");
                    if (end < start) throw Invalid(linePath, $"range 0x{start:x}-0x{end:x} runs backwards");
                    end++;
                }
                else
                {
                    end = start + data.Length;
                }
                if (start < 0 || end > size) throw Invalid(linePath, $"covers 0x{start:x}..0x{end - 1:x}, outside the {size}-byte config space");
                for (int at = start; at < end; at++)
                {
                    if (written[at]) throw Invalid(linePath, $"sets byte 0x{at:x} that an earlier line set");
                    written[at] = true;
                    space[at] = range.Length == 2 ? data[0] : data[at - start];
                }
            }
            return space;
        }

        private byte[] HexText(string text, string path)
        {
            var digits = new System.Text.StringBuilder(text.Length);
            foreach (char c in text)
            {
                if (char.IsWhiteSpace(c)) continue;
                if (!Uri.IsHexDigit(c)) throw Invalid(path, $"has '{c}', which is not a hex digit");
                digits.Append(c);
            }
            if (digits.Length == 0 || digits.Length % 2 != 0) throw Invalid(path, "needs whole bytes (an even, non-zero number of hex digits)");
            return Convert.FromHexString(digits.ToString());
        }
    }
}
