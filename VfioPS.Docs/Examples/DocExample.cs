using System;
using System.Collections.Generic;
using System.Linq;
using Markdig.Syntax;
using VfioPS.Docs.Markdown;

namespace VfioPS.Docs.Examples;

/// <summary>Where an example of the help can be run and checked.</summary>
public enum ExampleLane
{
    /// <summary>Against the loopback mock, under the bare engine (vfiops-run): the docs tests run it.</summary>
    Mock,
    /// <summary>Needs cmdlets the bare engine lacks (Format-Table, ConvertTo-Json, ...): the Pester suite runs it.</summary>
    Pwsh,
    /// <summary>Needs real vfio-pci devices: the real-kernel lane runs it, and its output comes from there.</summary>
    RealDevice,
}

/// <summary>
/// An example of a help page split into what the tests need: the code (the first ```powershell block), the output it
/// shows (an ```Output block, if any), the prose, and the lane it is marked for. The marks are words of the prose,
/// so a reader of Get-Help sees them too: "needs pwsh" and "needs a host with devices bound to vfio-pci".
/// </summary>
public sealed record DocExample(string Command, int Number, string Title, string Code, string? Output, string Prose, ExampleLane Lane)
{
    public const string PwshMark = "needs pwsh";
    public const string RealDeviceMark = "needs a host with devices bound to vfio-pci";

    public string Id => $"{Command} example {Number}";

    public override string ToString() => Id;

    public static IReadOnlyList<DocExample> From(CommandHelp help)
    {
        var result = new List<DocExample>();
        int number = 0;
        foreach (var example in help.Examples)
        {
            number++;
            var blocks = Markdig.Markdown.Parse(example.Remarks).ToList();
            var code = blocks.OfType<FencedCodeBlock>().FirstOrDefault(b => string.Equals(b.Info, "powershell", StringComparison.OrdinalIgnoreCase));
            var output = blocks.OfType<FencedCodeBlock>().FirstOrDefault(b => string.Equals(b.Info, "Output", StringComparison.OrdinalIgnoreCase));
            string prose = string.Join("\n\n", blocks.OfType<ParagraphBlock>().Select(p => example.Remarks.Substring(p.Span.Start, p.Span.Length)));
            var lane = prose.Contains(RealDeviceMark, StringComparison.Ordinal) ? ExampleLane.RealDevice
                : prose.Contains(PwshMark, StringComparison.Ordinal) ? ExampleLane.Pwsh
                : ExampleLane.Mock;
            result.Add(new DocExample(help.Title, number, example.Title, code?.Lines.ToString() ?? "", output?.Lines.ToString(), prose, lane));
        }
        return result;
    }

    /// <summary>Output as the help shows it and as a run prints it: no trailing spaces, no blank lines around it.</summary>
    public static string Normalize(string text)
    {
        var lines = text.Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[0].Length == 0) lines.RemoveAt(0);
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return string.Join("\n", lines);
    }
}
