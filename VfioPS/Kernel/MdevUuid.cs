using System;

namespace VfioPS.Kernel;

/// <summary>
/// A mediated device's UUID, as the kernel names the instance: 8-4-4-4-12 hex digits. Output is canonical lowercase,
/// the form sysfs shows and VFIO_GROUP_GET_DEVICE_FD matches.
/// </summary>
public static class MdevUuid
{
    public static bool TryNormalize(string? text, out string uuid)
    {
        uuid = string.Empty;
        if (text is null || !Guid.TryParseExact(text.Trim(), "D", out var guid)) return false;
        uuid = guid.ToString("D");
        return true;
    }

    public static bool IsUuid(string? text) => TryNormalize(text, out _);

    /// <summary>The error for text that is not a UUID, with the form to write.</summary>
    public static VfioException Invalid(string text)
        => new("VfioMdevUuidInvalid", VfioErrorKind.InvalidArgument,
            $"'{text}' is not a UUID; write it as 8-4-4-4-12 hex digits, for example 9e1c2a5d-4b1f-4c7e-9a53-6f0d2b8e7c41.", text);

    /// <summary>A new random (version 4) UUID in canonical form.</summary>
    public static string NewUuid() => Guid.NewGuid().ToString("D");
}
