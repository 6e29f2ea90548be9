using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using VfioPS.Abi;
using VfioPS.Operations;

namespace VfioPS.Mock;

/// <summary>
/// Reads mock device profiles (JSON, schema in Mock/Profiles/vfio-mock-profile.schema.json). The built-in profiles
/// are embedded resources in the same schema and go through the same reader. Every mistake is reported with the
/// file and the JSON path of the field, and unknown properties are mistakes, so a typo never goes unnoticed.
/// </summary>
public static partial class MockProfileReader
{
    private const string ResourcePrefix = "VfioPS.Mock.Profiles.";
    private const string BuiltInSource = "built-in";

    /// <summary>The names of the profiles that ship inside the module.</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } = typeof(MockProfileReader).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal)
                    && !n.EndsWith(".schema.json", StringComparison.Ordinal))
        .Select(n => n.Substring(ResourcePrefix.Length, n.Length - ResourcePrefix.Length - ".json".Length))
        .OrderBy(n => n, StringComparer.Ordinal)
        .ToArray();

    /// <summary>The JSON text of a built-in profile, as shipped.</summary>
    public static string BuiltInJson(string name)
    {
        string? match = BuiltInNames.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
        if (match is null)
            throw new VfioException("MockProfileNotFound", VfioErrorKind.ObjectNotFound,
                $"There is no built-in mock profile named '{name}'. Built-in profiles: {string.Join(", ", BuiltInNames)}.", name);
        using var stream = typeof(MockProfileReader).Assembly.GetManifestResourceStream(ResourcePrefix + match + ".json")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    // Parsed once per process: a profile is immutable, so every device of that profile shares one instance.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, MockDeviceProfile> s_builtIn = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A built-in profile, parsed on first use and shared after that; names are matched in any case.</summary>
    public static MockDeviceProfile LoadBuiltIn(string name)
    {
        if (name is not null && s_builtIn.TryGetValue(name, out var profile)) return profile;
        string json = BuiltInJson(name!);
        string canonical = BuiltInNames.First(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
        return s_builtIn.GetOrAdd(canonical, _ => Parse(json, BuiltInSource + ":" + canonical));
    }

    /// <summary>
    /// The built-in readings of device <paramref name="name"/> taken on a kernel of the series <paramref name="kernel"/>
    /// names ("6.12", or a whole release such as "6.12.117+deb12-amd64"): the profile <paramref name="name"/> itself or
    /// NAME-MAJOR.MINOR (e1000e-6.12), whichever records a kernel of that series. Without a kernel, the profile named.
    /// </summary>
    public static MockDeviceProfile LoadBuiltIn(string name, string? kernel)
    {
        if (string.IsNullOrEmpty(kernel)) return LoadBuiltIn(name);
        if (!MockKernelRules.TryParseVersion(kernel, out _))
            throw new VfioException("MockKernelInvalid", VfioErrorKind.InvalidArgument,
                $"'{kernel}' is not a kernel release or series: give one such as 6.1, 6.12 or 6.12.117+deb12-amd64.", kernel);
        var readings = ReadingsOf(name ?? string.Empty);
        if (readings.Count == 0) return LoadBuiltIn(name!); // (throws MockProfileNotFound, naming the built-ins)
        var match = readings.FirstOrDefault(p => string.Equals(p.Kernel, kernel, StringComparison.Ordinal))
                    ?? readings.FirstOrDefault(p => MockKernelRules.SameSeries(p.Kernel, kernel));
        return match ?? throw new VfioException("MockProfileNotFound", VfioErrorKind.ObjectNotFound,
            $"There is no built-in mock profile of '{name}' measured on kernel {kernel}. Its readings come from: {string.Join(", ", readings.Select(p => $"{p.Kernel} ({p.Name})"))}.", name);
    }

    /// <summary>The built-in profiles of one device: NAME and NAME-MAJOR.MINOR for the kernel each records.</summary>
    public static IReadOnlyList<MockDeviceProfile> ReadingsOf(string name)
        => BuiltInNames
            .Where(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase) || n.StartsWith(name + "-", StringComparison.OrdinalIgnoreCase))
            .Select(LoadBuiltIn)
            .Where(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)
                        || string.Equals(p.Name, $"{name}-{p.KernelRules.Version.Major}.{p.KernelRules.Version.Minor}", StringComparison.OrdinalIgnoreCase))
            .ToArray();

    public static MockDeviceProfile LoadFile(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new VfioException("MockProfileNotFound", VfioErrorKind.ObjectNotFound, "No mock profile file was named (the path is empty).", path);
        if (Directory.Exists(path))
            throw new VfioException("MockProfileNotFound", VfioErrorKind.ObjectNotFound, $"'{path}' is a directory, not a mock profile file.", path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new VfioException("MockProfileNotFound", VfioErrorKind.ObjectNotFound, $"The mock profile file '{path}' does not exist.", path, inner: e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VfioException("MockProfileUnreadable", VfioErrorKind.ResourceUnavailable, $"The mock profile file '{path}' cannot be read: {e.Message}", path, inner: e);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new VfioException("MockProfileNotFound", VfioErrorKind.ObjectNotFound, $"'{path}' is not a path to a mock profile file: {e.Message}", path, inner: e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses profile JSON; <paramref name="source"/> names the file in every error.</summary>
    public static MockDeviceProfile Parse(string json, string source)
    {
        json ??= string.Empty;
        source ??= "(unnamed)";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw Invalid(source, "$", $"is not valid JSON: {e.Message}");
        }
        using (document)
        {
            return new ProfileParser(source).Root(document.RootElement);
        }
    }

    private static VfioException Invalid(string source, string path, string problem)
        => new("MockProfileInvalid", VfioErrorKind.InvalidData, $"Mock profile '{source}': {path} {problem}", source);

    private sealed partial class ProfileParser
    {
        private readonly string _source;
        public ProfileParser(string source) => _source = source;

        private VfioException Invalid(string path, string problem) => MockProfileReader.Invalid(_source, path, problem);

        public MockDeviceProfile Root(JsonElement root)
        {
            RequireObject(root, "$", "$schema", "name", "description", "kernel", "device", "irqs", "regions", "config", "deviceModel", "reset");
            string name = RequiredString(root, "$", "name");
            if (name.Length == 0 || name.Length > 64 || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.'))
                throw Invalid("$.name", $"'{name}' must be 1 to 64 lowercase letters, digits, '-', '_' or '.', because it becomes part of device names such as mock:{name}/1");
            string? description = root.TryGetProperty("description", out var d) ? String(d, "$.description") : null;
            var kernel = root.TryGetProperty("kernel", out var k) ? Kernel(k, "$.kernel") : MockKernelRules.Baseline;

            var device = Required(root, "$", "device");
            RequireObject(device, "$.device", "flags", "numRegions", "numIrqs", "capabilities");
            var deviceFlags = (VfioDeviceFlags)Flags<VfioDeviceFlags>(Required(device, "$.device", "flags"), "$.device.flags");
            var deviceCapabilities = DeviceCapabilities(device, deviceFlags);
            uint numRegions = UInt(Required(device, "$.device", "numRegions"), "$.device.numRegions");
            uint numIrqs = UInt(Required(device, "$.device", "numIrqs"), "$.device.numIrqs");
            if (numIrqs > 4096) throw Invalid("$.device.numIrqs", $"is {numIrqs}; a mock device has at most 4096 IRQ indexes");

            var irqs = new Dictionary<uint, MockIrqProfile>();
            var irqArray = Required(root, "$", "irqs");
            if (irqArray.ValueKind != JsonValueKind.Array) throw Invalid("$.irqs", "must be an array of IRQ index entries");
            int i = 0;
            foreach (var entry in irqArray.EnumerateArray())
            {
                var irq = Irq(entry, $"$.irqs[{i}]", numIrqs);
                if (!irqs.TryAdd(irq.Index, irq)) throw Invalid($"$.irqs[{i}].index", $"repeats index {irq.Index}");
                i++;
            }
            CheckKernelFlags(kernel, deviceFlags, irqs, irqArray);
            var reset = root.TryGetProperty("reset", out var resetElement) ? Reset(resetElement, "$.reset", deviceFlags) : MockResetProfile.Default;
            return new MockDeviceProfile(name, description, _source, deviceFlags, numRegions, numIrqs, irqs)
            {
                Regions = RegionTable(root, numRegions),
                DeviceCapabilities = deviceCapabilities,
                Config = ConfigImage(root),
                DeviceModel = DeviceModelName(root),
                Reset = reset,
                KernelRules = kernel,
            };
        }

        private MockKernelRules Kernel(JsonElement element, string path)
        {
            string release = String(element, path);
            if (!MockKernelRules.TryParseVersion(release, out _))
                throw Invalid(path, $"'{release}' is not a kernel release: give what `uname -r` printed where the readings were taken, such as {MockKernelRules.BaselineKernel}");
            return MockKernelRules.For(release);
        }

        /// <summary>
        /// A kernel before dynamic MSI-X (6.5) answers MSI-X with NORESIZE whatever the device: a profile claiming such a
        /// kernel without it describes no kernel that exists, and would make the mock add vectors that kernel refuses.
        /// </summary>
        private void CheckKernelFlags(MockKernelRules kernel, VfioDeviceFlags deviceFlags, Dictionary<uint, MockIrqProfile> irqs, JsonElement irqArray)
        {
            // Index 2 is MSI-X on vfio-pci only.
            if (kernel.DynamicMsix || (deviceFlags & VfioDeviceFlags.Pci) == 0) return;
            if (irqs.TryGetValue((uint)VfioPciIrqIndex.MsiX, out var msix) && msix.Refusal == Errno.None && (msix.Flags & VfioIrqFlags.NoResize) == 0)
            {
                int position = 0;
                foreach (var entry in irqArray.EnumerateArray())
                {
                    if (entry.GetProperty("index").GetUInt32() == msix.Index) break;
                    position++;
                }
                throw Invalid($"$.irqs[{position}].flags", $"lacks NoResize, but kernel {kernel.Release} answers MSI-X with NORESIZE on every device (dynamic MSI-X, and MSI-X without it, came in 6.5); record \"kernel\" if the readings come from a newer kernel");
            }
        }

        private MockIrqProfile Irq(JsonElement entry, string path, uint numIrqs)
        {
            RequireObject(entry, path, "index", "errno", "flags", "count", "capabilities", "rawCapabilities", "platformVectors", "comment");
            uint index = UInt(Required(entry, path, "index"), path + ".index");
            if (index >= numIrqs) throw Invalid(path + ".index", $"is {index}, but $.device.numIrqs is {numIrqs}: indexes go from 0 to {(long)numIrqs - 1}");

            if (entry.TryGetProperty("errno", out var errnoElement))
            {
                foreach (string other in new[] { "flags", "count", "capabilities", "rawCapabilities", "platformVectors" })
                    if (entry.TryGetProperty(other, out _)) throw Invalid($"{path}.{other}", "cannot be given with errno: a refused index answers nothing else");
                var errno = ErrnoValue(errnoElement, path + ".errno");
                return new MockIrqProfile(index, errno, VfioIrqFlags.None, 0, null);
            }

            var flags = (VfioIrqFlags)Flags<VfioIrqFlags>(Required(entry, path, "flags"), path + ".flags");
            uint count = UInt(Required(entry, path, "count"), path + ".count");
            bool hasCaps = entry.TryGetProperty("capabilities", out var caps);
            bool hasRaw = entry.TryGetProperty("rawCapabilities", out var raw);
            if (hasCaps && hasRaw) throw Invalid(path + ".rawCapabilities", "cannot be given together with capabilities: use one or the other");

            MockCapabilityImage? image = hasCaps ? Structured(caps, path + ".capabilities") : hasRaw ? Raw(raw, path + ".rawCapabilities") : null;
            bool capsFlag = (flags & VfioIrqFlags.Caps) != 0;
            if (image is not null && !capsFlag)
                throw Invalid(path + ".flags", "lacks Caps although the index has a capability chain: the kernel sets VFIO_IRQ_INFO_FLAG_CAPS whenever it has one");
            if (image is null && capsFlag)
                throw Invalid(path + ".flags", "has Caps but the index has no capabilities or rawCapabilities");
            uint? platformVectors = null;
            if (entry.TryGetProperty("platformVectors", out var pv))
            {
                if (index != (uint)VfioPciIrqIndex.Msi && index != (uint)VfioPciIrqIndex.MsiX)
                    throw Invalid(path + ".platformVectors", "applies to MSI (index 1) and MSI-X (index 2) only");
                platformVectors = UInt(pv, path + ".platformVectors");
            }
            return new MockIrqProfile(index, Errno.None, flags, count, image, platformVectors);
        }

        /// <summary>Lays capabilities out as the mock answers them: first at 24, each 8-byte aligned, next fields absolute.</summary>
        private MockCapabilityImage Structured(JsonElement caps, string path)
        {
            if (caps.ValueKind != JsonValueKind.Array || caps.GetArrayLength() == 0)
                throw Invalid(path, "must be a non-empty array of capabilities");
            const int firstOffset = 24;
            var bodies = new List<byte[]>();
            int i = 0;
            foreach (var cap in caps.EnumerateArray())
            {
                string capPath = $"{path}[{i++}]";
                RequireObject(cap, capPath, "id", "version", "type", "subtype", "data");
                uint id = UInt(Required(cap, capPath, "id"), capPath + ".id");
                if (id == 0 || id > ushort.MaxValue) throw Invalid(capPath + ".id", $"is {id}; capability ids are 1 to 65535");
                uint version = cap.TryGetProperty("version", out var v) ? UInt(v, capPath + ".version") : 1;
                if (version > ushort.MaxValue) throw Invalid(capPath + ".version", $"is {version}; versions are 16-bit");
                byte[] body;
                if (id == VfioCapabilityCodec.IrqInfoCapType)
                {
                    if (cap.TryGetProperty("data", out _)) throw Invalid(capPath + ".data", "is not used for the TYPE capability (id 3): give type and subtype");
                    body = new byte[VfioCapabilityCodec.CapTypeSize];
                    VfioCapabilityCodec.EncodeIrqCapType(body, new VfioIrqCapTypeData(new VfioCapabilityHeader((ushort)id, (ushort)version, 0),
                        UInt(Required(cap, capPath, "type"), capPath + ".type"), UInt(Required(cap, capPath, "subtype"), capPath + ".subtype")));
                }
                else
                {
                    foreach (string only in new[] { "type", "subtype" })
                        if (cap.TryGetProperty(only, out _)) throw Invalid($"{capPath}.{only}", $"belongs to the TYPE capability (id 3) only; capability {id} takes its payload as data");
                    byte[] payload = cap.TryGetProperty("data", out var data) ? Hex(data, capPath + ".data") : Array.Empty<byte>();
                    body = new byte[VfioCapabilityCodec.HeaderSize + payload.Length];
                    VfioCapabilityCodec.EncodeHeader(body, new VfioCapabilityHeader((ushort)id, (ushort)version, 0));
                    payload.CopyTo(body, VfioCapabilityCodec.HeaderSize);
                }
                bodies.Add(body);
            }

            var tail = new List<byte>(new byte[firstOffset - VfioIrqInfoCodec.ExtendedSize]);
            for (int c = 0; c < bodies.Count; c++)
            {
                int offset = VfioIrqInfoCodec.ExtendedSize + tail.Count;
                int padded = (bodies[c].Length + 7) & ~7;
                uint next = c + 1 < bodies.Count ? (uint)(offset + padded) : 0;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bodies[c].AsSpan(VfioCapabilityCodec.HeaderNextOffset), next);
                tail.AddRange(bodies[c]);
                tail.AddRange(new byte[padded - bodies[c].Length]);
            }
            if (VfioIrqInfoCodec.ExtendedSize + tail.Count > InfoQuery.MaxArgsz)
                throw Invalid(path, $"adds up to {VfioIrqInfoCodec.ExtendedSize + tail.Count} bytes; a mock answer is at most {InfoQuery.MaxArgsz}");
            return new MockCapabilityImage(firstOffset, tail.ToArray());
        }

        private MockCapabilityImage Raw(JsonElement raw, string path)
        {
            RequireObject(raw, path, "capOffset", "bytes");
            uint capOffset = UInt(Required(raw, path, "capOffset"), path + ".capOffset");
            byte[] tail = Hex(Required(raw, path, "bytes"), path + ".bytes");
            // No layout checks here on purpose: raw chains exist to describe malformed answers.
            if (tail.Length > InfoQuery.MaxArgsz * 4)
                throw Invalid(path + ".bytes", $"has {tail.Length} bytes; raw chains are limited to {InfoQuery.MaxArgsz * 4}");
            return new MockCapabilityImage(capOffset, tail);
        }

        private void RequireObject(JsonElement element, string path, params string[] allowed)
        {
            if (element.ValueKind != JsonValueKind.Object) throw Invalid(path, $"must be an object, not {Describe(element)}");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                if (!allowed.Contains(property.Name, StringComparer.Ordinal))
                    throw Invalid($"{path}.{property.Name}", $"is not a known property here (known: {string.Join(", ", allowed)}); property names are case-sensitive");
                // JSON readers disagree on repeated keys (System.Text.Json keeps the last); a profile must not be ambiguous.
                if (!seen.Add(property.Name)) throw Invalid($"{path}.{property.Name}", "is given more than once");
            }
        }

        private JsonElement Required(JsonElement element, string path, string name)
            => element.TryGetProperty(name, out var value) ? value : throw Invalid($"{path}.{name}", "is required");

        private string RequiredString(JsonElement element, string path, string name) => String(Required(element, path, name), $"{path}.{name}");

        private string String(JsonElement element, string path)
            => element.ValueKind == JsonValueKind.String ? element.GetString()! : throw Invalid(path, $"must be a string, not {Describe(element)}");

        private uint UInt(JsonElement element, string path)
        {
            if (element.ValueKind == JsonValueKind.Number && element.TryGetUInt32(out uint value)) return value;
            throw Invalid(path, $"must be a whole number from 0 to {uint.MaxValue}, not {Describe(element)}");
        }

        /// <summary>Flags as the kernel answers them: a number, or an array of names of the [Flags] enum.</summary>
        private uint Flags<TEnum>(JsonElement element, string path) where TEnum : struct, Enum
        {
            if (element.ValueKind == JsonValueKind.Number) return UInt(element, path);
            string known = string.Join(", ", Enum.GetNames(typeof(TEnum)).Where(n => n != "None"));
            if (element.ValueKind != JsonValueKind.Array) throw Invalid(path, $"must be a number or an array of flag names ({known}), not {Describe(element)}");
            uint flags = 0;
            int i = 0;
            foreach (var item in element.EnumerateArray())
            {
                string itemPath = $"{path}[{i++}]";
                string text = String(item, itemPath);
                // Names only (a letter first, digits after it as in Comp32): Enum.TryParse would also take numbers, comma lists and "None".
                if (text.Length == 0 || !char.IsLetter(text[0]) || !text.All(char.IsLetterOrDigit) || !Enum.TryParse<TEnum>(text, ignoreCase: true, out var flag) || !Enum.IsDefined(typeof(TEnum), flag)
                    || Convert.ToUInt32(flag, CultureInfo.InvariantCulture) == 0)
                    throw Invalid(itemPath, $"'{text}' is not a flag name; known: {known}");
                flags |= Convert.ToUInt32(flag, CultureInfo.InvariantCulture);
            }
            return flags;
        }

        private Errno ErrnoValue(JsonElement element, string path)
        {
            if (element.ValueKind == JsonValueKind.Number)
            {
                uint n = UInt(element, path);
                if (n == 0 || n > 4095) throw Invalid(path, $"is {n}; an errno is 1 to 4095");
                return (Errno)n;
            }
            string text = String(element, path);
            // Names only: Enum.TryParse would also take numbers and comma lists (OR-ed into some other errno).
            if (text.Length > 0 && text.All(char.IsLetter) && Enum.TryParse<Errno>(text, ignoreCase: false, out var errno) && errno != Errno.None && Enum.IsDefined(typeof(Errno), errno))
                return errno;
            throw Invalid(path, $"'{text}' is not an errno name VfioPS knows ({string.Join(", ", Enum.GetNames(typeof(Errno)).Where(n => n != "None"))}); give a number for others");
        }

        private byte[] Hex(JsonElement element, string path)
        {
            string text = String(element, path);
            var digits = new System.Text.StringBuilder(text.Length);
            foreach (char c in text)
            {
                if (char.IsWhiteSpace(c) || c == '-' || c == ':') continue;
                if (!Uri.IsHexDigit(c)) throw Invalid(path, $"has '{c}', which is not a hex digit (bytes are written as hex, spaces allowed)");
                digits.Append(c);
            }
            if (digits.Length % 2 != 0) throw Invalid(path, "has an odd number of hex digits");
            return Convert.FromHexString(digits.ToString());
        }

        private static string Describe(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.String => $"the string \"{element.GetString()}\"",
            JsonValueKind.Number => $"the number {element.GetRawText()}",
            JsonValueKind.True or JsonValueKind.False => element.GetRawText(),
            JsonValueKind.Null => "null",
            JsonValueKind.Array => "an array",
            _ => "an object",
        };
    }
}
