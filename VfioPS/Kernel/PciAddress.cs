using System;
using System.Text.RegularExpressions;

namespace VfioPS.Kernel;

/// <summary>A PCI address DDDD:BB:DD.F. The domain may be omitted on input (0000 is assumed); output is canonical lowercase.</summary>
public static class PciAddress
{
    private static readonly Regex s_address = new(@"^(?:(?<d>[0-9a-fA-F]{4}):)?(?<b>[0-9a-fA-F]{2}):(?<s>[01][0-9a-fA-F])\.(?<f>[0-7])$", RegexOptions.CultureInvariant);

    public static bool TryNormalize(string? text, out string address)
    {
        address = string.Empty;
        if (text is null) return false;
        var m = s_address.Match(text.Trim());
        if (!m.Success) return false;
        string domain = m.Groups["d"].Success ? m.Groups["d"].Value : "0000";
        address = $"{domain}:{m.Groups["b"].Value}:{m.Groups["s"].Value}.{m.Groups["f"].Value}".ToLowerInvariant();
        return true;
    }

    public static bool IsAddress(string? text) => TryNormalize(text, out _);
}
